from django.urls import path, re_path

from clinicrm.crm import inbox_views, tag_views, views

app_name = "crm"

_T = "conversas/<int:thread_id>/"

urlpatterns = [
    path("conversas/", inbox_views.inbox, name="inbox"),
    path("conversas/kanban/", inbox_views.kanban, name="kanban"),
    path("conversas/kanban/colunas/", inbox_views.kanban_group, name="kanban_group"),
    path(f"{_T}linha/", inbox_views.inbox_row, name="inbox_row"),
    path(f"{_T}cartao/", inbox_views.kanban_card, name="kanban_card"),
    path(f"{_T}mover/", inbox_views.kanban_card_move, name="kanban_move"),
    # The original system's address of the inbox.
    re_path(r"^crm/conversas/?$", inbox_views.crm_inbox_redirect, name="inbox_legacy"),
    path(f"{_T}etiquetas/", views.thread_tags, name="thread_tags"),
    path(f"{_T}atribuicao/", views.thread_assignment, name="thread_assignment"),
    path(f"{_T}notas/", views.thread_notes, name="thread_notes"),
    path(f"{_T}notas/<int:note_id>/editar/", views.note_edit, name="note_edit"),
    path(f"{_T}notas/<int:note_id>/remover/", views.note_remove, name="note_remove"),
    path(f"{_T}paciente/", views.thread_patient, name="thread_patient"),
    path(f"{_T}paciente/buscar/", views.patient_search, name="patient_search"),
    path(f"{_T}paciente/vincular/", views.patient_link, name="patient_link"),
    path(f"{_T}paciente/novo/", views.patient_new, name="patient_new"),
    path("configuracoes/etiquetas/", tag_views.tag_list, name="tags"),
    path("configuracoes/etiquetas/<int:tag_id>/editar/", tag_views.tag_edit, name="tag_edit"),
    path("configuracoes/etiquetas/<int:tag_id>/remover/", tag_views.tag_remove, name="tag_remove"),
]
