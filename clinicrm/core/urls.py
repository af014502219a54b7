from django.urls import path

from clinicrm.core import health_views, members_views, notifications_views, views
from clinicrm.core.accounts import views as account_views

app_name = "core"

urlpatterns = [
    path("favicon.ico", views.favicon_view, name="favicon"),
    path("entrar/", views.login_view, name="login"),
    path("sair/", views.logout_view, name="logout"),
    path("clinica/trocar/", views.tenant_switch_view, name="tenant_switch"),
    path("healthz", health_views.healthz, name="healthz"),
    path("readyz", health_views.readyz, name="readyz"),
    path("metrics", health_views.metrics, name="metrics"),
    # Password recovery and invitations: see core/accounts/views.py.
    path(
        "senha/esqueci/",
        account_views.PasswordResetRequestView.as_view(),
        name="password_reset",
    ),
    path(
        "senha/esqueci/enviado/",
        account_views.PasswordResetSentView.as_view(),
        name="password_reset_done",
    ),
    path(
        "senha/redefinir/<uidb64>/<token>/",
        account_views.PasswordSetView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "senha/redefinida/",
        account_views.PasswordSetDoneView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "convite/<uidb64>/<token>/",
        account_views.InviteAcceptView.as_view(),
        name="invite_accept",
    ),
    path("convite/concluido/", account_views.InviteDoneView.as_view(), name="invite_complete"),
    # Members page (owner/admin): see core/members_views.py.
    path("membros/", members_views.member_list_view, name="member_list"),
    path("membros/adicionar/", members_views.member_add_view, name="member_add"),
    path("membros/<int:membership_id>/papel/", members_views.member_role_view, name="member_role"),
    path(
        "membros/<int:membership_id>/situacao/",
        members_views.member_active_view,
        name="member_active",
    ),
    path(
        "membros/<int:membership_id>/remover/",
        members_views.member_remove_view,
        name="member_remove",
    ),
    path(
        "membros/<int:membership_id>/convite/",
        members_views.member_invite_view,
        name="member_invite",
    ),
    # Notifications (the bell): see core/notifications_views.py.
    path("notificacoes/", notifications_views.notification_list_view, name="notification_list"),
    path(
        "notificacoes/preferencias/",
        notifications_views.notification_preferences_view,
        name="notification_preferences",
    ),
    path(
        "notificacoes/painel/",
        notifications_views.notification_panel_view,
        name="notification_panel",
    ),
    path(
        "notificacoes/contagem/",
        notifications_views.notification_counts_view,
        name="notification_counts",
    ),
    path(
        "notificacoes/marcar-todas-lidas/",
        notifications_views.notification_mark_all_read_view,
        name="notification_mark_all_read",
    ),
    path(
        "notificacoes/<int:notification_id>/abrir/",
        notifications_views.notification_open_view,
        name="notification_open",
    ),
]
