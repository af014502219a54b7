from django.urls import path

from clinicrm.messaging import sse, views

app_name = "messaging"

urlpatterns = [
    path("eventos/", sse.events, name="events"),
    path("conversas/", views.inbox, name="inbox"),
    path("conversas/<str:thread_key>/", views.thread_detail, name="thread"),
    path("conversas/<str:thread_key>/mensagens/", views.thread_timeline, name="thread_timeline"),
    path("conversas/<str:thread_key>/enviar/", views.thread_send, name="thread_send"),
    path("midia/<str:token>/", views.media, name="media"),
]
