"""System contact types (tenant NULL): phones and e-mails every tenant can use."""

from django.db import migrations

PHONE_TYPES = [
    ("celular", "Celular", 10),
    ("residencial", "Residencial", 20),
    ("comercial", "Comercial", 30),
    ("recado", "Recado", 40),
]
EMAIL_TYPES = [
    ("pessoal", "Pessoal", 10),
    ("trabalho", "Trabalho", 20),
]


def seed(apps, schema_editor):
    for model_name, rows in (("ContactType", PHONE_TYPES), ("ContactEmailType", EMAIL_TYPES)):
        model = apps.get_model("people", model_name)
        for code, label, order in rows:
            model.objects.update_or_create(
                tenant=None, code=code, defaults={"label": label, "sort_order": order}
            )


def unseed(apps, schema_editor):
    for model_name, rows in (("ContactType", PHONE_TYPES), ("ContactEmailType", EMAIL_TYPES)):
        model = apps.get_model("people", model_name)
        model.objects.filter(tenant=None, code__in=[r[0] for r in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
