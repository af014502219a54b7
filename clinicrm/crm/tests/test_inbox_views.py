"""The inbox and Kanban pages: filters in the URL, chips, keyset pages, live row/card fragments,
Kanban moves (and stale ones), bad input answered in pt-BR with nothing changed."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinicrm.core.models import Role
from clinicrm.crm.models import KanbanGroup, Stage, ThreadStatus, ThreadTag
from clinicrm.crm.services import assignment_set, kanban_group_set, thread_tag_add
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.messaging.models import Provider
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _rows(html: str) -> list[int]:
    import re

    return [int(x) for x in re.findall(r'id="thread-row-(\d+)"', html)]


@pytest.fixture
def threads(tenant, other_tenant, owner, member_factory):
    secretary = member_factory(Role.SECRETARY)
    t = [make_inbox_thread(tenant, minutes_ago=10 * i) for i in range(4)]
    foreign = make_inbox_thread(other_tenant, minutes_ago=1, contact_name="Outra Clínica")
    assignment_set(tenant=tenant, thread=t[0], assignee_id=owner.pk, actor=owner)
    assignment_set(tenant=tenant, thread=t[1], assignee_id=secretary.pk, actor=owner)
    vip = make_tag(tenant, "VIP")
    thread_tag_add(tenant=tenant, thread=t[2], tag_id=vip.pk, actor=owner)
    t[3].contact_name = "João Araújo Dias"
    t[3].unread_count = 3
    t[3].last_message_at = timezone.now() - dt.timedelta(days=400)
    t[3].save(update_fields=["contact_name", "unread_count", "last_message_at"])
    return {"t": t, "vip": vip, "foreign": foreign, "secretary": secretary}


def test_inbox_empty_state(owner_client):
    html = owner_client.get(reverse("crm:inbox")).content.decode()
    assert "Nenhuma conversa ainda" in html and _rows(html) == []


def test_inbox_lists_newest_first_with_chips_and_dates(owner_client, threads):
    t = threads["t"]
    html = owner_client.get(reverse("crm:inbox")).content.decode()
    assert _rows(html) == [x.pk for x in t]  # only this tenant's, newest first
    assert "Outra Clínica" not in html
    assert ">Eu</span>" in html  # my assignment, highlighted
    assert 'class="pill tag-pill tag-pink" data-testid="tag-pill">VIP<' in html
    old = timezone.localtime(t[3].last_message_at)
    assert f">{old:%d/%m/%Y}</time>" in html  # last year: the year is shown
    assert 'aria-label="3 não lidas"' in html
    assert f'href="/conversas/{t[0].pk}/" data-drawer' in html
    assert t[0].thread_key not in html.split("<main")[0]  # no number in URLs


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"vista": "minhas"}, [0]),
        ({"vista": "nao-atribuidas"}, [2, 3]),
        ({"nao-lidas": "1"}, [3]),
        ({"q": "joao araujo"}, [3]),  # accents and case ignored
    ],
)
def test_filters_in_the_url(owner_client, threads, params, expected):
    t = threads["t"]
    html = owner_client.get(reverse("crm:inbox"), params).content.decode()
    assert _rows(html) == [t[i].pk for i in expected]


def test_tag_filter_and_an_unknown_tag_says_so(owner_client, threads, other_tenant):
    t = threads["t"]
    url = reverse("crm:inbox")
    html = owner_client.get(url, {"etiqueta": threads["vip"].pk}).content.decode()
    assert _rows(html) == [t[2].pk]
    foreign_tag = make_tag(other_tenant, "Deles")
    for bad in (str(foreign_tag.pk), "999999", "abc", "1 OR 1=1"):
        html = owner_client.get(url, {"etiqueta": bad}).content.decode()
        assert _rows(html) == [] and "Etiqueta não encontrada" in html


@pytest.mark.parametrize("q", ["%", "_", "' OR 1=1 --", "[a-z]+", "a%b_c", "\\", ".*"])
def test_search_with_sql_or_pattern_characters_is_literal(owner_client, threads, q):
    response = owner_client.get(reverse("crm:inbox"), {"q": q})
    assert response.status_code == 200
    assert _rows(response.content.decode()) == []
    assert "Nenhuma conversa com estes filtros" in response.content.decode()


def test_fragments_for_htmx_and_keyset_pages(owner_client, tenant):
    threads = [make_inbox_thread(tenant, minutes_ago=i) for i in range(35)]
    url = reverse("crm:inbox")
    results = owner_client.get(url, HTTP_HX_TARGET="inbox-results", **HX).content.decode()
    assert "<h1>" not in results and len(_rows(results)) == 30
    assert "Carregar mais" in results
    import re

    cursor = re.search(r"cursor=([0-9.]+)", results)
    assert cursor is not None
    more = owner_client.get(url, {"cursor": cursor.group(1)}, **HX).content.decode()
    assert _rows(more) == [t.pk for t in threads[30:]]
    assert "Carregar mais" not in more
    page = owner_client.get(url)
    assert "HX-Request" in page["Vary"]


def test_live_row_follows_the_filters(owner_client, threads):
    t = threads["t"]
    row = reverse("crm:inbox_row", kwargs={"thread_id": t[0].pk})
    assert f'id="thread-row-{t[0].pk}"' in owner_client.get(row).content.decode()
    assert owner_client.get(row, {"vista": "nao-atribuidas"}).status_code == 204
    foreign = reverse("crm:inbox_row", kwargs={"thread_id": threads["foreign"].pk})
    assert owner_client.get(foreign).status_code == 404


def test_twilio_rows_show_the_24_hour_window(owner_client, tenant):
    make_channel(tenant, Provider.TWILIO)
    make_inbox_thread(tenant, inbound_minutes_ago=60, contact_name="Aberta")
    make_inbox_thread(tenant, minutes_ago=5, inbound_minutes_ago=60 * 30, contact_name="Fechada")
    html = owner_client.get(reverse("crm:inbox")).content.decode()
    assert "Janela: 22 h" in html and "Janela fechada" in html


def test_kanban_by_status_and_a_move(owner_client, owner, tenant, threads):
    t = threads["t"]
    html = owner_client.get(reverse("crm:kanban")).content.decode()
    for stage in Stage:
        assert f'data-drop="{stage.value}"' in html
    move = reverse("crm:kanban_move", kwargs={"thread_id": t[0].pk})
    response = owner_client.post(move, {"coluna": Stage.IN_PROGRESS, "de": Stage.OPEN})
    assert response.status_code == 200
    assert ThreadStatus.objects.get(thread=t[0]).status == Stage.IN_PROGRESS
    card = owner_client.get(reverse("crm:kanban_card", kwargs={"thread_id": t[0].pk}))
    assert f'data-column="{Stage.IN_PROGRESS}"' in card.content.decode()
    # Stale: the card is no longer where the browser thought; nothing changes.
    response = owner_client.post(move, {"coluna": Stage.DONE, "de": Stage.OPEN})
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["field"] == "coluna" and "Nada foi alterado" in body["detail"]
    assert ThreadStatus.objects.get(thread=t[0]).status == Stage.IN_PROGRESS
    bad = owner_client.post(move, {"coluna": "'; DROP TABLE x", "de": Stage.IN_PROGRESS})
    assert bad.status_code == 400 and json.loads(bad.content)["detail"] == "Status inválido."


def test_kanban_by_tag_swaps_tags(owner_client, owner, tenant, threads):
    t, vip = threads["t"], threads["vip"]
    kanban_group_set(tenant=tenant, group=KanbanGroup.TAG, actor=owner)
    other = make_tag(tenant, "Retorno", "blue")
    html = owner_client.get(reverse("crm:kanban")).content.decode()
    assert f'data-drop="etiqueta-{vip.pk}"' in html and 'data-drop="sem-etiqueta"' in html
    move = reverse("crm:kanban_move", kwargs={"thread_id": t[2].pk})
    ok = owner_client.post(move, {"coluna": f"etiqueta-{other.pk}", "de": f"etiqueta-{vip.pk}"})
    assert ok.status_code == 200
    assert set(ThreadTag.objects.filter(thread=t[2]).values_list("tag_id", flat=True)) == {other.pk}
    stale = owner_client.post(move, {"coluna": "sem-etiqueta", "de": f"etiqueta-{vip.pk}"})
    assert stale.status_code == 400
    assert ThreadTag.objects.filter(thread=t[2]).count() == 1


def test_kanban_grouping_is_for_managers(tenant, member_factory, owner_client):
    secretary = Client()
    secretary.force_login(member_factory(Role.SECRETARY, email="sec2@clinica.test"))
    url = reverse("crm:kanban_group")
    assert secretary.post(url, {"group": "tag"}).status_code in (403, 404)
    assert owner_client.post(url, {"group": "nada"}).status_code == 400
    assert owner_client.post(url, {"group": "tag"}).status_code == 302


def test_legacy_crm_address_redirects_with_filters(owner_client):
    response = owner_client.get("/crm/conversas?vista=minhas")
    assert response.status_code == 302 and response["Location"] == "/conversas/?vista=minhas"


def test_kanban_with_an_unknown_tag_says_so_and_shows_no_cards(owner_client, threads):
    html = owner_client.get(reverse("crm:kanban"), {"etiqueta": "424242"}).content.decode()
    assert "Etiqueta não encontrada" in html and 'data-testid="kanban-card"' not in html


def test_notification_link_opens_the_conversation_only_of_this_clinic(owner_client, threads):
    mine, theirs = threads["t"][1], threads["foreign"]
    html = owner_client.get(reverse("crm:inbox"), {"conversa": mine.pk}).content.decode()
    assert f'data-drawer-autoopen href="/conversas/{mine.pk}/"' in html
    html = owner_client.get(reverse("crm:inbox"), {"conversa": theirs.pk}).content.decode()
    assert "data-drawer-autoopen" not in html
    assert (
        "data-drawer-autoopen"
        not in owner_client.get(reverse("crm:inbox"), {"conversa": "1' OR '1"}).content.decode()
    )
