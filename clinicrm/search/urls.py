from django.urls import path

from clinicrm.search import views

app_name = "search"

urlpatterns = [path("busca/", views.global_search, name="global")]
