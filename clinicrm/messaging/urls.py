from django.urls import path

from clinicrm.messaging import media_views, sse, views

app_name = "messaging"

urlpatterns = [
    path("eventos/", sse.events, name="events"),
    path("conversas/", views.inbox, name="inbox"),
    path("conversas/<str:thread_key>/", views.thread_detail, name="thread"),
    path("conversas/<str:thread_key>/mensagens/", views.thread_timeline, name="thread_timeline"),
    path("conversas/<str:thread_key>/enviar/", views.thread_send, name="thread_send"),
    path("midia/<str:token>/", views.media, name="media"),
    # media (helper "media"): fragment of one message's media and the retry of a failed download
    path(
        "conversas/mensagens/<int:message_id>/midia/",
        media_views.message_media,
        name="message_media",
    ),
    path(
        "conversas/mensagens/<int:message_id>/midia/tentar-novamente/",
        media_views.message_media_retry,
        name="message_media_retry",
    ),
]

# --- WhatsApp channel pages (channels helper) --------------------------------------------------
from django.urls import re_path  # noqa: E402

from clinicrm.messaging import channel_views as cv  # noqa: E402

_EVO = {"provider": "evolution"}
_TWI = {"provider": "twilio"}

urlpatterns += [
    # The menu and the spec name it without a trailing slash; accept both.
    re_path(r"^configuracoes/whatsapp/?$", cv.channel_chooser, name="channel_chooser"),
    path("configuracoes/whatsapp/evolution/", cv.evolution_setup, name="evolution_setup"),
    path("configuracoes/whatsapp/evolution/conexao/", cv.evolution_panel, name="evolution_panel"),
    path("configuracoes/whatsapp/evolution/codigo/", cv.evolution_pair_code, name="evolution_pair"),
    path(
        "configuracoes/whatsapp/evolution/reconectar/",
        cv.evolution_reconnect,
        name="evolution_reconnect",
    ),
    path(
        "configuracoes/whatsapp/evolution/desconectar/",
        cv.evolution_disconnect,
        name="evolution_disconnect",
    ),
    path(
        "configuracoes/whatsapp/evolution/ativar/",
        cv.channel_activate_view,
        _EVO,
        name="evolution_activate",
    ),
    path(
        "configuracoes/whatsapp/evolution/desativar/",
        cv.channel_deactivate_view,
        _EVO,
        name="evolution_deactivate",
    ),
    path("configuracoes/whatsapp/twilio/", cv.twilio_setup, name="twilio_setup"),
    path(
        "configuracoes/whatsapp/twilio/modelos/",
        cv.twilio_template_create,
        name="twilio_template_create",
    ),
    path(
        "configuracoes/whatsapp/twilio/modelos/remover/",
        cv.twilio_template_delete,
        name="twilio_template_delete",
    ),
    path(
        "configuracoes/whatsapp/twilio/ativar/",
        cv.channel_activate_view,
        _TWI,
        name="twilio_activate",
    ),
    path(
        "configuracoes/whatsapp/twilio/desativar/",
        cv.channel_deactivate_view,
        _TWI,
        name="twilio_deactivate",
    ),
]
