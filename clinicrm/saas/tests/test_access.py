"""Only Django staff reach the console: anonymous -> login, non-staff (even owners) -> 403."""

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from clinicrm.core.models import AuditLog
from clinicrm.credits.models import (
    AddonCredit,
    AddonProduct,
    CreditBalance,
    CreditPackage,
    CreditTransaction,
)
from clinicrm.saas.tests.factories import make_addon_credit, make_package, make_product
from clinicrm.saas.tests.isolation import EXEMPT

pytestmark = pytest.mark.django_db


def saas_patterns() -> list[URLPattern]:
    _prefix, resolver = get_resolver().namespace_dict["saas"]
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]


@pytest.fixture
def objects(tenant) -> dict[str, Any]:
    return {
        "package_id": make_package(),
        "product_id": make_product(),
        "credit_id": make_addon_credit(tenant),
        "audit_id": AuditLog.objects.create(action="patient.update", tenant=tenant),
    }


def all_urls(objects: dict[str, Any]) -> list[str]:
    urls = []
    for pattern in saas_patterns():
        kwargs = {name: str(objects[name].pk) for name in pattern.pattern.converters}
        urls.append(reverse(f"saas:{pattern.name}", kwargs=kwargs))
    return urls


def snapshot() -> list[Any]:
    return [
        list(CreditPackage.objects.order_by("pk").values()),
        list(AddonProduct.objects.order_by("pk").values()),
        list(AddonCredit.objects.order_by("pk").values()),
        CreditTransaction.objects.count(),
        CreditBalance.objects.count(),
        AuditLog.objects.filter(action__startswith="saas.").count(),
        AuditLog.objects.filter(action__startswith="credits.").count(),
        AuditLog.objects.filter(action__startswith="addons.").count(),
    ]


def test_the_walk_covers_every_saas_url(objects):
    names = {p.name for p in saas_patterns()}
    assert {"home", "addons", "package_toggle", "topup", "topup_balance"} <= names
    assert len(all_urls(objects)) == len(names) >= 15


def test_every_url_with_an_object_kwarg_is_exempt_from_the_tenant_walker():
    for pattern in saas_patterns():
        if pattern.pattern.converters:
            assert f"saas:{pattern.name}" in EXEMPT, pattern.name


def test_anonymous_is_sent_to_login_everywhere(client, objects):
    before = snapshot()
    for url in all_urls(objects):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"amount": "5", "note": "x"})
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith(reverse("core:login")), url
    assert snapshot() == before


def test_tenant_owner_who_is_not_staff_gets_403_everywhere_and_changes_nothing(
    owner_client, objects, tenant
):
    before = snapshot()
    payload = {
        "tenant": str(tenant.pk),
        "operation": "topup",
        "amount": "50",
        "note": "tentativa",
        "name": "Hack",
        "slug": "hack",
        "addon_type": "sms",
        "credits": "10",
        "credits_amount": "10",
        "price": "1,00",
        "price_brl": "1,00",
        "sort_order": "0",
        "position": "1",
        "currency": "BRL",
        "is_active": "on",
    }
    for url in all_urls(objects):
        assert owner_client.get(url).status_code == 403, url
        assert owner_client.post(url, payload).status_code == 403, url
        assert owner_client.post(url, payload, HTTP_HX_REQUEST="true").status_code == 403, url
    assert snapshot() == before


def test_inactive_staff_user_is_refused(staff_user, objects):
    client = Client()
    client.force_login(staff_user)
    staff_user.is_active = False
    staff_user.save()
    # Django's auth drops an inactive user from the session: treated as anonymous.
    assert client.get(reverse("saas:home")).status_code == 302


def test_staff_reaches_every_page(staff_client, objects):
    for name in (
        "home",
        "addons",
        "addon_credit_list",
        "addon_transaction_list",
        "package_list",
        "package_create",
        "product_create",
        "topup",
    ):
        assert staff_client.get(reverse(f"saas:{name}")).status_code == 200, name
    for name, key in (
        ("product_update", "product_id"),
        ("package_update", "package_id"),
        ("addon_credit_update", "credit_id"),
    ):
        url = reverse(f"saas:{name}", kwargs={key: objects[key].pk})
        assert staff_client.get(url).status_code == 200, name


def test_the_side_menu_shows_the_console_only_to_staff(staff_client, owner_client):
    assert reverse("saas:addons") in staff_client.get(reverse("saas:home")).content.decode()
    page = owner_client.get(reverse("dashboard:home")).content.decode()
    assert reverse("saas:addons") not in page
