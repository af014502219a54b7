from django.urls import URLPattern, URLResolver

app_name = "devtools"

urlpatterns: list[URLPattern | URLResolver] = []
