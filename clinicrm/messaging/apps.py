from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "clinicrm.messaging"
    label = "messaging"

    def ready(self) -> None:
        from clinicrm.messaging.credits_bridge import credits_bridge_connect
        from clinicrm.messaging.dashboard import messages_dashboard_register

        messages_dashboard_register()
        credits_bridge_connect()
