"""Evolution's routes: its webhook and its set-up pages (in the `integrations` namespace)."""

from django.urls import URLPattern, path, re_path

from clinicrm.integrations.evolution import views
from clinicrm.integrations.evolution.webhooks import evolution_webhook

urlpatterns: list[URLPattern] = [
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
    path("configuracoes/whatsapp/evolution/", views.evolution_setup, name="evolution_setup"),
    path(
        "configuracoes/whatsapp/evolution/conexao/", views.evolution_panel, name="evolution_panel"
    ),
    path(
        "configuracoes/whatsapp/evolution/codigo/", views.evolution_pair_code, name="evolution_pair"
    ),
    path(
        "configuracoes/whatsapp/evolution/reconectar/",
        views.evolution_reconnect,
        name="evolution_reconnect",
    ),
    path(
        "configuracoes/whatsapp/evolution/desconectar/",
        views.evolution_disconnect,
        name="evolution_disconnect",
    ),
]
