from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "clinicrm.credits"
    label = "credits"
