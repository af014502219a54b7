from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "clinicrm.agenda"
    label = "agenda"

    def ready(self) -> None:
        from clinicrm.agenda.patient_tab import agenda_patient_tab_register
        from clinicrm.agenda.visibility import agenda_visibility_register
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import Role

        agenda_patient_tab_register()
        agenda_visibility_register()
        professionals = frozenset({Role.PROFESSIONAL})
        menu_register(
            MenuItem("Agenda do dia", "agenda:day", "▦", order=50),
            MenuItem("Minha agenda", "agenda:my_week", "▤", professionals, order=60),
        )
