from django.urls import URLPattern, URLResolver, path

from clinicrm.saas.views import addons, audit, home, packages, products, topup

app_name = "saas"

# SaaS staff console: global, not tenant-scoped (see tests/isolation.py EXEMPT).
urlpatterns: list[URLPattern | URLResolver] = [
    path("saas/", home.home, name="home"),
    path("saas/avisos/lidos", home.notices_read, name="notices_read"),
    path("saas/addons", products.product_list, name="addons"),
    path("saas/addons/produtos/novo", products.product_create, name="product_create"),
    path(
        "saas/addons/produtos/<uuid:product_id>/editar",
        products.product_update,
        name="product_update",
    ),
    path(
        "saas/addons/produtos/<uuid:product_id>/excluir",
        products.product_delete,
        name="product_delete",
    ),
    path("saas/addons/creditos", addons.addon_credit_list, name="addon_credit_list"),
    path(
        "saas/addons/creditos/<uuid:credit_id>/editar",
        addons.addon_credit_update,
        name="addon_credit_update",
    ),
    path("saas/addons/transacoes", addons.addon_transaction_list, name="addon_transaction_list"),
    path("saas/addons/pacotes-whatsapp", packages.package_list, name="package_list"),
    path("saas/addons/pacotes-whatsapp/novo", packages.package_create, name="package_create"),
    path(
        "saas/addons/pacotes-whatsapp/<uuid:package_id>/editar",
        packages.package_update,
        name="package_update",
    ),
    path(
        "saas/addons/pacotes-whatsapp/<uuid:package_id>/ativo",
        packages.package_toggle,
        name="package_toggle",
    ),
    path(
        "saas/addons/pacotes-whatsapp/<uuid:package_id>/excluir",
        packages.package_delete,
        name="package_delete",
    ),
    path("saas/addons/topup-whatsapp", topup.topup, name="topup"),
    path("saas/addons/topup-whatsapp/saldo", topup.topup_balance, name="topup_balance"),
    path("saas/auditoria", audit.audit_list, name="audit_list"),
    path("saas/auditoria/<int:audit_id>", audit.audit_detail, name="audit_detail"),
]
