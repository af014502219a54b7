"""The system opt-out and opt-in keywords for every existing tenant (tenants created later get
them from `automation.services.keywords.optout_keywords_ensure`). Rows copied here: migrations
must not import app code."""

from django.db import migrations

# The same words as detector.SYSTEM_OPT_OUT / SYSTEM_OPT_IN, already normalised.
SYSTEM_KEYWORDS = (
    ("optout", "sair"),
    ("optout", "parar"),
    ("optout", "pare"),
    ("optout", "descadastrar"),
    ("optout", "descadastre"),
    ("optout", "stop"),
    ("optout", "remover"),
    ("optout", "bloquear"),
    ("optout", "nao quero receber"),
    ("optout", "cancelar inscricao"),
    ("optin", "voltar"),
    ("optin", "retornar"),
    ("optin", "reativar"),
    ("optin", "restart"),
)


def forwards(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Keyword = apps.get_model("automation", "OptOutKeyword")
    rows = [
        Keyword(tenant_id=tenant_id, kind=kind, keyword=keyword, is_system=True)
        for tenant_id in Tenant.objects.values_list("pk", flat=True)
        for kind, keyword in SYSTEM_KEYWORDS
    ]
    Keyword.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("automation", "0003_conversation_automation"), ("core", "0004_tenant_state")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
