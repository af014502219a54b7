from django.urls import URLPattern, URLResolver, path

from clinicrm.integrations.asaas.webhooks import asaas_webhook

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/asaas/", asaas_webhook, name="asaas_webhook"),
]
