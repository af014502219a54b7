from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "clinicrm.messaging"
    label = "messaging"

    def ready(self) -> None:
        from clinicrm.messaging.dashboard import messages_dashboard_register

        messages_dashboard_register()
