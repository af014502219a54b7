from django.urls import path

from clinicrm.core import views

app_name = "core"

urlpatterns = [
    path("entrar/", views.login_view, name="login"),
    path("sair/", views.logout_view, name="logout"),
    path("clinica/trocar/", views.tenant_switch_view, name="tenant_switch"),
]
