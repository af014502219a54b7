from django.urls import URLPattern, URLResolver, path

from clinicrm.credits import statement_views, views

app_name = "credits"

urlpatterns: list[URLPattern | URLResolver] = [
    path("configuracoes/creditos-whatsapp", views.credits_page, name="page"),
    path("configuracoes/creditos-whatsapp/ao-vivo", views.credits_live, name="live"),
    path("configuracoes/creditos-whatsapp/comprar", views.purchase_form, name="purchase_form"),
    path(
        "configuracoes/creditos-whatsapp/compras",
        views.purchase_create,
        name="purchase_create",
    ),
    path(
        "configuracoes/creditos-whatsapp/compras/<uuid:purchase_id>/status",
        views.purchase_status,
        name="purchase_status",
    ),
    path("configuracoes/extrato", statement_views.statement, name="statement"),
    path(
        "configuracoes/extrato-addons",
        statement_views.addon_statement_redirect,
        name="addon_statement",
    ),
]
