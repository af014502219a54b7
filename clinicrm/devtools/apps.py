from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "clinicrm.devtools"
    label = "devtools"
