from django.urls import URLPattern, URLResolver

app_name = "automation"

urlpatterns: list[URLPattern | URLResolver] = []
