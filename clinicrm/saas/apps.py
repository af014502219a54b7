from django.apps import AppConfig


class SaasConfig(AppConfig):
    name = "clinicrm.saas"
    label = "saas"

    def ready(self) -> None:
        from clinicrm.core.menu import MenuItem, menu_register

        menu_register(
            MenuItem("Console SaaS", "saas:home", "⚙", order=10),
            MenuItem("Add-ons e créditos", "saas:addons", "◎", order=20),
            MenuItem("Auditoria", "saas:audit_list", "⚖", order=30),
            saas=True,
        )
