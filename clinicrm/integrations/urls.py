from django.urls import URLPattern, URLResolver, path, re_path

from clinicrm.integrations.asaas.webhooks import asaas_webhook
from clinicrm.integrations.evolution.webhooks import evolution_webhook
from clinicrm.integrations.twilio.webhooks import twilio_inbound, twilio_status

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/asaas/", asaas_webhook, name="asaas_webhook"),
    # Evolution appends "/<event-suffix>" to the configured URL when webhook_by_events is on,
    # which yields "<token>//messages-upsert" for a URL ending in "/": accept both forms.
    re_path(
        r"^webhooks/evolution/(?P<channel_token>[A-Za-z0-9_-]+)/?$",
        evolution_webhook,
        name="evolution_webhook",
    ),
    re_path(
        r"^webhooks/evolution/(?P<channel_token>[A-Za-z0-9_-]+)/+(?P<event_suffix>[a-z-]+)/?$",
        evolution_webhook,
        name="evolution_webhook_event",
    ),
    path("webhooks/twilio/<str:channel_token>/inbound/", twilio_inbound, name="twilio_inbound"),
    path("webhooks/twilio/<str:channel_token>/status/", twilio_status, name="twilio_status"),
]
