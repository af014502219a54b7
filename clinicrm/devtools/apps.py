from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "clinicrm.devtools"
    label = "devtools"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import CLINIC_ROLES

        menu_register(
            MenuItem("Simulador WhatsApp", "devtools:simulator", "▣", CLINIC_ROLES, order=120)
        )
