from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "clinicrm.automation"
    label = "automation"

    def ready(self) -> None:
        # Messaging and the agenda sit below this app: they define the registries, we register.
        from clinicrm.agenda.extensions import appointment_badge_provider_register
        from clinicrm.automation.inbound import INBOUND_HOOKS
        from clinicrm.automation.reminder_state import reminder_badges
        from clinicrm.automation.services.optout import optout_send_check, optout_send_guard
        from clinicrm.automation.services.reminder_failures import reminder_message_failed
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import CLINIC_ROLES
        from clinicrm.messaging.hooks import (
            inbound_hook_register,
            message_failed_hook_register,
            send_check_register,
            send_guard_register,
        )

        for hook in INBOUND_HOOKS:  # in this order: opt-out, confirm by reply, auto-reply
            inbound_hook_register(hook)
        send_check_register(optout_send_check)
        send_guard_register(optout_send_guard)
        message_failed_hook_register(reminder_message_failed)
        appointment_badge_provider_register(reminder_badges)
        menu_register(MenuItem("Automação", "automation:reminders", "⟳", CLINIC_ROLES, order=100))
