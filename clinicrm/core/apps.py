from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicrm.core"
    label = "core"
    verbose_name = "Núcleo"
