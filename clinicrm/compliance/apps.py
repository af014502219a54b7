from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clinicrm.compliance"
    verbose_name = "Conformidade (LGPD)"

    def ready(self) -> None:
        from clinicrm.compliance.intake.registry import intake_register
        from clinicrm.compliance.lgpd.freeze import patient_erased_freeze
        from clinicrm.compliance.lgpd_views import lgpd_tab_render
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import Role
        from clinicrm.people.extensions import (
            PatientTab,
            patient_freeze_register,
            patient_tab_register,
        )

        patient_tab_register(
            PatientTab(code="lgpd", label="LGPD", render=lgpd_tab_render, order=90)
        )
        patient_freeze_register(name="lgpd.erased", check=patient_erased_freeze)
        managers = frozenset({Role.OWNER, Role.ADMIN})
        menu_register(MenuItem("Auditoria", "compliance:audit_list", "⚖", managers, order=115))
        intake_register()
