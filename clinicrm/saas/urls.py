from django.urls import URLPattern, URLResolver

app_name = "saas"

urlpatterns: list[URLPattern | URLResolver] = []
