from django.urls import URLPattern, URLResolver, path

from clinicrm.devtools.simulator import views as simulator

app_name = "devtools"

urlpatterns: list[URLPattern | URLResolver] = [
    # The phone simulator (404 when DJANGO_ENV=production).
    path("simulador/", simulator.simulator_home, name="simulator"),
    path("simulador/conversa/", simulator.simulator_conversation, name="simulator_conversation"),
    path("simulador/enviar/", simulator.simulator_send, name="simulator_send"),
    path("simulador/lida/", simulator.simulator_mark_read, name="simulator_read"),
]
