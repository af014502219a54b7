"""The dashboard card "Mensagens recebidas/enviadas": São Paulo month bounds, one query."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinicrm.core.models import Role
from clinicrm.core.tests.db_plans import captured_sql, query_plan
from clinicrm.core.timeutils import local_datetime
from clinicrm.messaging.dashboard import messages_month_counts
from clinicrm.messaging.models import Direction, Message
from clinicrm.messaging.tests.factories import make_channel, unique_phone

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026, 13:00 in São Paulo.
NOW = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)


def _message(tenant, channel, direction: str, at: dt.datetime) -> Message:
    with time_machine.travel(at, tick=False):
        return Message.objects.create(
            tenant=tenant,
            channel=channel,
            thread_key=unique_phone(),
            direction=direction,
            from_me=direction == Direction.OUTBOUND,
            body="oi",
            provider_timestamp=timezone.now(),
        )


@pytest.fixture
def traffic(tenant, other_tenant):
    channel = make_channel(tenant)
    IN, OUT = Direction.INBOUND, Direction.OUTBOUND
    march = [
        # Local 1 March 00:10 is 03:10 UTC: the first minutes of the month count.
        (IN, local_datetime(dt.date(2026, 3, 1), dt.time(0, 10))),
        (IN, local_datetime(dt.date(2026, 3, 9), dt.time(14, 0))),
        (OUT, local_datetime(dt.date(2026, 3, 9), dt.time(14, 5))),
        (IN, local_datetime(dt.date(2026, 3, 10), dt.time(12, 59))),
        # Local 31 March 22:00 is 1 April 01:00 UTC: still March in São Paulo.
        (OUT, local_datetime(dt.date(2026, 3, 31), dt.time(22, 0))),
    ]
    outside = [
        # Local 28 February 23:30 is 1 March 02:30 UTC: February in São Paulo.
        (IN, local_datetime(dt.date(2026, 2, 28), dt.time(23, 30))),
        (OUT, local_datetime(dt.date(2026, 4, 1), dt.time(0, 30))),
    ]
    for direction, at in march + outside:
        _message(tenant, channel, direction, at)
    # Another clinic's traffic in the same month never counts.
    theirs = make_channel(other_tenant)
    for direction in (IN, IN, OUT):
        _message(other_tenant, theirs, direction, local_datetime(TODAY, dt.time(9)))
    return channel


def test_month_counts_use_sao_paulo_month_in_one_query(tenant, traffic, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = messages_month_counts(tenant=tenant, today=TODAY)
    assert (counts.inbound, counts.outbound, counts.total) == (3, 2, 5)
    assert counts.month == dt.date(2026, 3, 1)
    feb = messages_month_counts(tenant=tenant, today=dt.date(2026, 2, 14))
    apr = messages_month_counts(tenant=tenant, today=dt.date(2026, 4, 30))
    assert (feb.inbound, feb.outbound) == (1, 0)
    assert (apr.inbound, apr.outbound) == (0, 1)


def test_empty_month_is_zero(tenant):
    counts = messages_month_counts(tenant=tenant, today=TODAY)
    assert (counts.inbound, counts.outbound) == (0, 0)


def test_month_count_query_uses_the_tenant_created_index(tenant, traffic):
    sql = captured_sql(lambda: messages_month_counts(tenant=tenant, today=TODAY))
    # Direction is in the index: it serves the query alone.
    plan = query_plan(sql, table="conversation_messages", keep="messages_tenant_created_idx")
    assert "messages_tenant_created_idx" in plan, plan
    if connection.vendor == "postgresql":
        assert "Index Only Scan" in plan, plan
    else:
        assert "COVERING INDEX" in plan, plan


def _card(html: str) -> str:
    start = html.index('id="kpi-slot-messages"')
    return html[start : html.index('id="kpi-slot-credits"', start)]


@time_machine.travel(NOW, tick=False)
def test_dashboard_card_shows_this_months_numbers(tenant, traffic, owner_client):
    response = owner_client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    card = _card(response.content.decode())
    assert "kpi-placeholder" not in card
    assert re.search(r'class="kpi-in"[^>]*>3<', card)
    assert re.search(r'class="kpi-out"[^>]*>2<', card)
    assert "Mensagens recebidas/enviadas" in card
    assert "Em março: 3 recebidas, 2 enviadas" in card
    assert reverse("crm:inbox") in card


@time_machine.travel(dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC), tick=False)
def test_dashboard_card_follows_the_sao_paulo_clock(tenant, traffic, member_factory):
    # 1 April 02:00 UTC is still 31 March 23:00 in São Paulo.
    client = Client()
    client.force_login(member_factory(Role.SECRETARY))
    card = _card(client.get(reverse("dashboard:home")).content.decode())
    assert "Em março: 3 recebidas, 2 enviadas" in card
