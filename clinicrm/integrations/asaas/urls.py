"""Asaas's route: its payment webhook (in the `integrations` namespace)."""

from django.urls import URLPattern, path

from clinicrm.integrations.asaas.webhooks import asaas_webhook

urlpatterns: list[URLPattern] = [
    path("webhooks/asaas/", asaas_webhook, name="asaas_webhook"),
]
