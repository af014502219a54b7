"""Every provider's routes (webhooks, set-up pages), taken from the provider registry."""

from django.urls import URLPattern, URLResolver

from clinicrm.integrations.providers import PROVIDERS

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    pattern for spec in PROVIDERS for pattern in spec.urls
]
