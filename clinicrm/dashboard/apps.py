from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "clinicrm.dashboard"
    label = "dashboard"
