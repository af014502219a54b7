from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "clinicrm.api"
    label = "api"
