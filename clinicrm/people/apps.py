from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "clinicrm.people"
    label = "people"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import CLINIC_ROLES
        from clinicrm.people.visibility import people_visibility_register

        menu_register(
            MenuItem("Pacientes", "people:patient_list", "☺", order=30),
            MenuItem("Profissionais", "people:professional_list", "✚", CLINIC_ROLES, order=40),
        )
        people_visibility_register()
