from django.urls import path, re_path

from clinicrm.messaging import channel_views as cv
from clinicrm.messaging import media_views, popup_views, sse, views
from clinicrm.messaging.channel_kinds import channel_kinds

app_name = "messaging"

_ACTIVATION = (
    ("ativar", cv.channel_activate_view, "activate"),
    ("desativar", cv.channel_deactivate_view, "deactivate"),
)

urlpatterns = [
    path("eventos/", sse.events, name="events"),
    path("notificacoes/nova-mensagem/", popup_views.message_popup, name="message_popup"),
    path("conversas/<int:thread_id>/", views.thread_detail, name="thread"),
    path("conversas/<int:thread_id>/mensagens/", views.thread_timeline, name="thread_timeline"),
    path("conversas/<int:thread_id>/enviar/", views.thread_send, name="thread_send"),
    path("midia/<str:token>/", views.media, name="media"),
    # Fragment of one message's media and the retry of a failed download.
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
    # WhatsApp channel pages. The menu and the spec name the first without a trailing slash.
    re_path(r"^configuracoes/whatsapp/?$", cv.channel_chooser, name="channel_chooser"),
    # One activation and one deactivation page per channel kind the providers registered.
    *[
        path(
            f"configuracoes/whatsapp/{k.key}/{segment}/",
            view,
            {"provider": k.key},
            name=f"{k.key}_{action}",
        )
        for k in channel_kinds()
        for segment, view, action in _ACTIVATION
    ],
]
