from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "clinicrm.dashboard"
    label = "dashboard"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register

        menu_register(MenuItem("Painel", "dashboard:home", "◧", order=10))
