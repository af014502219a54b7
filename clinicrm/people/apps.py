from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "clinicrm.people"
    label = "people"
