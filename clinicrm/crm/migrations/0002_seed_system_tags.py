"""The five system tags for every existing tenant (tenants created later get them from
`crm.services.tags.tag_system_ensure`). Rows copied here: migrations must not import app code."""

from django.db import migrations

# (system_code, name, name_key, color, sort_order); the same rows as services/tags.SYSTEM_TAGS.
SYSTEM_TAGS = (
    ("new_contact", "Novo contato", "novo contato", "blue", 10),
    ("scheduling", "Agendamento", "agendamento", "teal", 20),
    ("billing", "Financeiro", "financeiro", "amber", 30),
    ("urgent", "Urgente", "urgente", "red", 40),
    ("follow_up", "Retorno", "retorno", "violet", 50),
)


def forwards(apps, schema_editor):
    Tenant = apps.get_model("core", "Tenant")
    Tag = apps.get_model("crm", "Tag")
    rows = [
        Tag(
            tenant_id=tenant_id,
            system_code=code,
            name=name,
            name_key=key,
            color=color,
            sort_order=order,
        )
        for tenant_id in Tenant.objects.values_list("pk", flat=True)
        for code, name, key, color, order in SYSTEM_TAGS
    ]
    Tag.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
