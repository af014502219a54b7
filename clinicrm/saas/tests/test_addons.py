import datetime as dt

import pytest
from django.urls import reverse

from clinicrm.core.models import AuditLog
from clinicrm.core.timeutils import local_datetime
from clinicrm.credits.models import AddonCredit
from clinicrm.saas.tests.factories import make_addon_credit, make_addon_tx, make_product

pytestmark = pytest.mark.django_db


def test_credit_list_filters_by_tenant_and_type(staff_client, tenant, other_tenant):
    make_addon_credit(tenant, addon_type="sms")
    make_addon_credit(tenant, addon_type="ai_assistant")
    make_addon_credit(other_tenant, addon_type="sms")
    url = reverse("saas:addon_credit_list")
    assert staff_client.get(url).context["page_obj"].paginator.count == 3
    assert staff_client.get(url, {"tenant": tenant.pk}).context["page_obj"].paginator.count == 2
    resp = staff_client.get(url, {"tenant": tenant.pk, "addon_type": "sms"})
    assert resp.context["page_obj"].paginator.count == 1
    empty = staff_client.get(url, {"addon_type": "nada"})
    assert "Nenhum crédito add-on com esses filtros" in empty.content.decode()


def test_edit_addon_credit_limits_and_expiry(staff_client, tenant, staff_user):
    credit = make_addon_credit(tenant)
    url = reverse("saas:addon_credit_update", kwargs={"credit_id": credit.pk})
    response = staff_client.post(
        url,
        {
            "low_balance_threshold": "5",
            "daily_limit": "100",
            "hourly_limit": "10",
            "expires_at": "2030-01-31T18:00",
            "is_active": "",
        },
    )
    assert response.status_code == 302
    credit.refresh_from_db()
    assert (credit.daily_limit, credit.hourly_limit, credit.low_balance_threshold) == (100, 10, 5)
    assert credit.expires_at == local_datetime(dt.date(2030, 1, 31), dt.time(18, 0))
    assert credit.is_active is False
    assert credit.balance == 50  # balances never move from this form
    audit = AuditLog.objects.get(action="addons.settings_update")
    assert audit.tenant == tenant and audit.user == staff_user


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"daily_limit": "10", "hourly_limit": "20"}, "não pode passar o limite diário"),
        ({"daily_limit": "0"}, "maior ou igual a 1"),
        ({"low_balance_threshold": "-1"}, "maior ou igual a 0"),
        ({"expires_at": "amanhã"}, "Informe uma data/hora válida"),
    ],
)
def test_bad_addon_credit_input_changes_nothing(staff_client, tenant, data, message):
    credit = make_addon_credit(tenant, daily_limit=50)
    url = reverse("saas:addon_credit_update", kwargs={"credit_id": credit.pk})
    response = staff_client.post(url, {"is_active": "on", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    fresh = AddonCredit.objects.get(pk=credit.pk)
    assert (fresh.daily_limit, fresh.hourly_limit, fresh.expires_at) == (50, None, None)
    assert not AuditLog.objects.filter(action="addons.settings_update").exists()


def test_transactions_filter_by_tenant_type_and_period(staff_client, tenant, other_tenant):
    product = make_product()
    old = make_addon_tx(tenant, product=product)
    old.created_at = local_datetime(dt.date(2026, 1, 10), dt.time(23, 30))
    old.save()
    make_addon_tx(tenant, type="consumption", amount=-1, balance_before=50, balance_after=49)
    make_addon_tx(other_tenant, addon_type="ai_assistant", price_cents=990)
    url = reverse("saas:addon_transaction_list")
    all_rows = staff_client.get(url)
    assert all_rows.context["page_obj"].paginator.count == 3
    assert "R$ 9,90" in all_rows.content.decode()
    assert staff_client.get(url, {"tenant": tenant.pk}).context["page_obj"].paginator.count == 2
    assert staff_client.get(url, {"type": "consumption"}).context["page_obj"].paginator.count == 1
    # The period is São Paulo days: 23:30 on Jan 10 there is Jan 11 in UTC.
    jan10 = staff_client.get(url, {"start": "2026-01-10", "end": "2026-01-10"})
    assert list(jan10.context["page_obj"].object_list) == [old]
    assert (
        staff_client.get(url, {"start": "2026-01-11", "end": "2026-01-11"})
        .context["page_obj"]
        .paginator.count
        == 0
    )


def test_transactions_bad_period_is_reported(staff_client, tenant):
    make_addon_tx(tenant)
    url = reverse("saas:addon_transaction_list")
    response = staff_client.get(url, {"start": "2026-02-10", "end": "2026-02-01"})
    assert response.status_code == 400
    assert "A data final deve ser depois da inicial." in response.content.decode()


def test_transactions_paginate(staff_client, tenant):
    for _ in range(30):
        make_addon_tx(tenant)
    url = reverse("saas:addon_transaction_list")
    body = staff_client.get(url, {"tenant": tenant.pk}).content.decode()
    assert "Página 1 de 2" in body and f"tenant={tenant.pk}&amp;page=2" in body
    assert len(staff_client.get(url, {"page": 2}).context["page_obj"].object_list) == 5
