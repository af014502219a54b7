from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The global search of the top bar (patients, professionals, conversations, messages)."""

    name = "clinicrm.search"
    label = "search"
