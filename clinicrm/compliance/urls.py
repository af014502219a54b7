from django.urls import URLPattern, URLResolver, path

from clinicrm.compliance import lgpd_views, privacy_views, views
from clinicrm.compliance.intake import public_views as intake_public
from clinicrm.compliance.intake import views as intake

app_name = "compliance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("configuracoes/auditoria", views.audit_list, name="audit_list"),
    path("configuracoes/auditoria/<int:audit_id>", views.audit_detail, name="audit_detail"),
    path("configuracoes/privacidade", privacy_views.privacy_settings, name="privacy"),
    path(
        "pacientes/<int:patient_id>/lgpd/exportar/",
        lgpd_views.patient_export_create,
        name="export_create",
    ),
    path(
        "pacientes/<int:patient_id>/lgpd/anonimizar/",
        lgpd_views.patient_erase_view,
        name="patient_erase",
    ),
    path(
        "lgpd/exportacoes/<uuid:export_id>/",
        lgpd_views.patient_export_status,
        name="export_status",
    ),
    path(
        "lgpd/exportacoes/baixar/<str:export_token>/",
        lgpd_views.patient_export_download,
        name="export_download",
    ),
    # Patient intake invites (compliance/intake/): the clinic's pages, the drawer, the public form.
    path("pacientes/cadastros/", intake.intake_list, name="intake_list"),
    path("pacientes/cadastros/convidar/", intake.intake_invite_new, name="intake_invite_new"),
    path(
        "pacientes/cadastros/convites/<uuid:invite_id>/",
        intake.intake_invite_detail,
        name="intake_invite",
    ),
    path("pacientes/cadastros/<uuid:submission_id>/", intake.intake_review, name="intake_review"),
    path(
        "pacientes/cadastros/<uuid:submission_id>/aceitar/",
        intake.intake_accept,
        name="intake_accept",
    ),
    path(
        "pacientes/cadastros/<uuid:submission_id>/recusar/",
        intake.intake_reject,
        name="intake_reject",
    ),
    path(
        "conversas/<int:thread_id>/convite-cadastro/",
        intake.intake_thread_invite,
        name="intake_thread_invite",
    ),
    path("cadastro/<str:intake_token>/", intake_public.intake_public, name="intake_public"),
]
