from django.apps import AppConfig


class SaasConfig(AppConfig):
    name = "clinicrm.saas"
    label = "saas"
