from django.urls import path

from clinicrm.automation import views

app_name = "automation"

urlpatterns = [
    path("configuracoes/conversas-optouts", views.optouts_page, name="optouts"),
    path("configuracoes/conversas-optouts/palavras", views.keyword_add, name="keyword_add"),
    path(
        "configuracoes/conversas-optouts/palavras/<int:keyword_id>/excluir",
        views.keyword_delete,
        name="keyword_delete",
    ),
    path("configuracoes/conversas-optouts/numeros", views.optout_add, name="optout_add"),
    path(
        "configuracoes/conversas-optouts/numeros/<int:optout_id>/reativar",
        views.optout_close,
        name="optout_close",
    ),
    path("configuracoes/conversas-autoreply", views.autoreply_page, name="autoreply"),
    path("configuracoes/lembretes-sessao", views.reminders_page, name="reminders"),
    path(
        "configuracoes/lembretes-sessao/previa", views.reminders_preview, name="reminders_preview"
    ),
]
