from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "clinicrm.automation"
    label = "automation"
