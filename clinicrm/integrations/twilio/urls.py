"""Twilio's routes: its two webhooks and its set-up page (in the `integrations` namespace)."""

from django.urls import URLPattern, path

from clinicrm.integrations.twilio import views
from clinicrm.integrations.twilio.webhooks import twilio_inbound, twilio_status

urlpatterns: list[URLPattern] = [
    path("webhooks/twilio/<str:channel_token>/inbound/", twilio_inbound, name="twilio_inbound"),
    path("webhooks/twilio/<str:channel_token>/status/", twilio_status, name="twilio_status"),
    path("configuracoes/whatsapp/twilio/", views.twilio_setup, name="twilio_setup"),
    path(
        "configuracoes/whatsapp/twilio/modelos/",
        views.twilio_template_create,
        name="twilio_template_create",
    ),
    path(
        "configuracoes/whatsapp/twilio/modelos/remover/",
        views.twilio_template_delete,
        name="twilio_template_delete",
    ),
]
