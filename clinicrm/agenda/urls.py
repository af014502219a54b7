from django.urls import path

from clinicrm.agenda import views

app_name = "agenda"

urlpatterns = [
    path("agenda/", views.day_view, name="day"),
    path("agenda/minha-semana/", views.my_week_view, name="my_week"),
    path("agenda/profissionais/<int:professional_id>/semana/", views.week_view, name="week"),
    path("agenda/profissionais/<int:professional_id>/regras/", views.rules_view, name="rules"),
    path("agenda/regras/<int:rule_id>/editar/", views.rule_edit_view, name="rule_edit"),
    path("agenda/regras/<int:rule_id>/excluir/", views.rule_delete_view, name="rule_delete"),
    path("agenda/consultas/nova/", views.appointment_create_view, name="appointment_create"),
    path(
        "agenda/consultas/<int:appointment_id>/editar/",
        views.appointment_edit_view,
        name="appointment_edit",
    ),
    path(
        "agenda/consultas/<int:appointment_id>/status/",
        views.appointment_status_view,
        name="appointment_status",
    ),
    path("agenda/pacientes/buscar/", views.patient_search_view, name="patient_search"),
]
