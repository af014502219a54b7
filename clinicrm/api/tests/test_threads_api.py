"""/api/v1/threads (the inbox's filters, keyset pages) and /threads/{id}/messages. A bad filter
is a 400 naming it; another tenant's thread is a 404."""

import datetime as dt

import pytest
from django.utils import timezone

from clinicrm.core.models import Role
from clinicrm.crm.services import assignment_set, thread_tag_add
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.messaging.models import Direction, Message
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(tenant, other_tenant, owner, member_factory):
    secretary = member_factory(Role.SECRETARY)
    t = [make_inbox_thread(tenant, minutes_ago=5 * i) for i in range(4)]
    make_inbox_thread(other_tenant)
    assignment_set(tenant=tenant, thread=t[0], assignee_id=owner.pk, actor=owner)
    assignment_set(tenant=tenant, thread=t[1], assignee_id=secretary.pk, actor=owner)
    vip = make_tag(tenant, "VIP")
    thread_tag_add(tenant=tenant, thread=t[2], tag_id=vip.pk, actor=owner)
    t[3].contact_name, t[3].unread_count = "Conceição Araújo", 2
    t[3].save(update_fields=["contact_name", "unread_count"])
    return {"t": [x.pk for x in t], "vip": vip}


def _ids(api, **params) -> list[int]:
    response = api.get("threads", **params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_filters_match_the_inbox(api, inbox, owner):
    t = inbox["t"]
    assert _ids(api) == t
    assert _ids(api, vista="minhas") == [t[0]]
    assert _ids(api, vista="nao-atribuidas") == [t[2], t[3]]
    assert _ids(api, etiqueta=str(inbox["vip"].pk)) == [t[2]]
    assert _ids(api, **{"nao-lidas": "1"}) == [t[3]]
    assert _ids(api, q="conceicao ARAUJO") == [t[3]]
    assert _ids(api, q="%") == [] and _ids(api, q="' OR 1=1 --") == []
    first = api.get("threads").json()["items"][0]
    assert first["assignee"]["id"] == str(owner.pk) and first["url"] == f"/conversas/{t[0]}/"
    assert first["window_open"] is None  # not a Twilio channel


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"vista": "todas'--"}, "vista"),
        ({"etiqueta": "999999"}, "etiqueta"),
        ({"etiqueta": "abc"}, "etiqueta"),
        ({"nao-lidas": "talvez"}, "nao-lidas"),
        ({"q": "x" * 101}, "q"),
        ({"cursor": "1.2.3"}, "cursor"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api, inbox, params, field):
    response = api.get("threads", **params)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["detail"]


def test_keyset_pages(api, tenant):
    made = [make_inbox_thread(tenant, minutes_ago=i) for i in range(5)]
    seen, cursor = [], ""
    while True:
        body = api.get("threads", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [t.pk for t in made]


def test_messages_of_a_thread_newest_page_and_older(api, tenant, other_tenant):
    channel = make_channel(tenant)
    thread = make_inbox_thread(tenant)
    start = timezone.now() - dt.timedelta(hours=1)
    ids = [
        Message.objects.create(
            tenant=tenant,
            channel=channel,
            thread_key=thread.thread_key,
            direction=Direction.INBOUND if i % 2 else Direction.OUTBOUND,
            body=f"mensagem {i}",
            provider_timestamp=start + dt.timedelta(minutes=i),
        ).pk
        for i in range(5)
    ]
    body = api.get(f"threads/{thread.pk}/messages", limit=3).json()
    assert [m["id"] for m in body["items"]] == ids[2:] and body["has_older"] is True
    assert body["items"][0]["status_label"] == "Pendente"
    older = api.get(f"threads/{thread.pk}/messages", limit=3, before=ids[2]).json()
    assert [m["id"] for m in older["items"]] == ids[:2] and older["has_older"] is False
    theirs = make_inbox_thread(other_tenant)
    assert api.get(f"threads/{theirs.pk}/messages").status_code == 404
    assert api.get(f"threads/{thread.pk}/messages", limit=0).status_code == 400
