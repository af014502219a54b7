from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "clinicrm.integrations"
    label = "integrations"

    def ready(self) -> None:
        from clinicrm.core.metrics import metrics_window_register
        from clinicrm.integrations.erasure import integrations_erasure_register
        from clinicrm.integrations.metrics import webhook_metrics
        from clinicrm.integrations.providers import PROVIDERS
        from clinicrm.integrations.registry import provider_spec_register
        from clinicrm.integrations.retention import integrations_retention_register

        metrics_window_register("webhooks", webhook_metrics)
        integrations_retention_register()
        integrations_erasure_register()
        for spec in PROVIDERS:
            provider_spec_register(spec)
