from django.urls import URLPattern, URLResolver, path

from clinicrm.people import views
from clinicrm.people.contact_views import make_contact_views
from clinicrm.people.detail import EMAIL, PHONE
from clinicrm.people.kinds import PATIENT, PROFESSIONAL

app_name = "people"

urlpatterns: list[URLPattern | URLResolver] = [
    path("pacientes/", views.patient_list, name="patient_list"),
    path("pacientes/novo/", views.patient_create, name="patient_create"),
    path("pacientes/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("pacientes/<int:patient_id>/editar/", views.patient_edit, name="patient_edit"),
    path("pacientes/<int:patient_id>/arquivar/", views.patient_archive, name="patient_archive"),
    path("pacientes/<int:patient_id>/reativar/", views.patient_unarchive, name="patient_unarchive"),
    path("profissionais/", views.professional_list, name="professional_list"),
    path("profissionais/novo/", views.professional_create, name="professional_create"),
    path(
        "profissionais/<int:professional_id>/",
        views.professional_detail,
        name="professional_detail",
    ),
    path(
        "profissionais/<int:professional_id>/editar/",
        views.professional_edit,
        name="professional_edit",
    ),
    path(
        "profissionais/<int:professional_id>/arquivar/",
        views.professional_archive,
        name="professional_archive",
    ),
    path(
        "profissionais/<int:professional_id>/reativar/",
        views.professional_unarchive,
        name="professional_unarchive",
    ),
]

# Contact editors: /pacientes/<patient_id>/telefones/... and the same for e-mails/professionals.
for _kind, _prefix in ((PATIENT, "pacientes"), (PROFESSIONAL, "profissionais")):
    for _contact, _segment in ((PHONE, "telefones"), (EMAIL, "emails")):
        _views = make_contact_views(_kind, _contact)
        _base = f"{_prefix}/<int:{_kind.id_kwarg}>/{_segment}/"
        _row = f"{_base}<int:{_contact}_id>/"
        _name = f"{_kind.name}_{_contact}"
        urlpatterns += [
            path(_base, _views[""], name=f"{_name}s"),
            path(f"{_row}editar/", _views["edit"], name=f"{_name}_edit"),
            path(f"{_row}remover/", _views["remove"], name=f"{_name}_remove"),
            path(f"{_row}principal/", _views["primary"], name=f"{_name}_primary"),
        ]
