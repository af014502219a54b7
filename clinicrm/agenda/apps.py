from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "clinicrm.agenda"
    label = "agenda"
