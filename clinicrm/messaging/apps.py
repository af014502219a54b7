from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "clinicrm.messaging"
    label = "messaging"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.metrics import metrics_window_register
        from clinicrm.core.models import Role
        from clinicrm.messaging.credits_bridge import credits_bridge_connect
        from clinicrm.messaging.dashboard import messages_dashboard_register
        from clinicrm.messaging.metrics import send_metrics

        messages_dashboard_register()
        credits_bridge_connect()
        managers = frozenset({Role.OWNER, Role.ADMIN})
        menu_register(MenuItem("WhatsApp", "messaging:channel_chooser", "☏", managers, order=90))
        metrics_window_register("sends", send_metrics)
