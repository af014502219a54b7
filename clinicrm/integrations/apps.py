from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "clinicrm.integrations"
    label = "integrations"
