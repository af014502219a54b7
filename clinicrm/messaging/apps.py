from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "clinicrm.messaging"
    label = "messaging"
