from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "clinicrm.credits"
    label = "credits"

    def ready(self) -> None:
        from clinicrm.credits.dashboard import credits_dashboard_register

        credits_dashboard_register()
