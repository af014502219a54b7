from django.urls import URLPattern, URLResolver

app_name = "credits"

urlpatterns: list[URLPattern | URLResolver] = []
