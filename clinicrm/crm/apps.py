from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "clinicrm.crm"
    label = "crm"
    verbose_name = "CRM"
