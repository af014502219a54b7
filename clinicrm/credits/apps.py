from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "clinicrm.credits"
    label = "credits"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.metrics import metrics_window_register
        from clinicrm.core.models import Role
        from clinicrm.credits.dashboard import credits_dashboard_register
        from clinicrm.credits.metrics import credit_metrics

        credits_dashboard_register()
        managers = frozenset({Role.OWNER, Role.ADMIN})
        menu_register(
            MenuItem("Créditos WhatsApp", "credits:page", "◎", managers, order=70),
            MenuItem("Extrato", "credits:statement", "≣", managers, order=80),
        )
        metrics_window_register("credits", credit_metrics)
