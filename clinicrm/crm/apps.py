from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "clinicrm.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import CLINIC_ROLES
        from clinicrm.core.notifications import InboxFeed, notification_inbox_register
        from clinicrm.crm.panels import crm_panels_register
        from clinicrm.crm.patient_tab import crm_patient_tab_register
        from clinicrm.crm.visibility import crm_visibility_register
        from clinicrm.messaging.selectors import thread_unread_count

        crm_panels_register()
        crm_patient_tab_register()
        crm_visibility_register()
        menu_register(
            MenuItem("Conversas", "crm:inbox", "✉", badge_id="menu-badge-inbox", order=20),
            MenuItem("Etiquetas", "crm:tags", "#", CLINIC_ROLES, order=105),
        )
        # The bell counts unread conversations and opens this inbox; the stream and the popup
        # are messaging's.
        notification_inbox_register(
            InboxFeed(
                unread_count=thread_unread_count,
                inbox_url_name="crm:inbox",
                events_url_name="messaging:events",
                popup_url_name="messaging:message_popup",
            )
        )
