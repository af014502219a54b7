"""Thread and message search: names (contact and linked patient), numbers and message text,
accent- and case-insensitive, literal wildcards, one tenant only, the trigram index on
PostgreSQL, and the folded column kept right by every thread write path."""

import pytest
from django.db import connection
from django.urls import reverse

from clinicrm.core.tests.db_plans import captured_sql, query_plan
from clinicrm.messaging.models import Message, Thread
from clinicrm.messaging.selectors import messages_matching, thread_list, thread_search_filter
from clinicrm.messaging.services import message_ingest, message_send
from clinicrm.messaging.services.threads import thread_get_or_create
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people.models import Patient

pytestmark = pytest.mark.django_db

JOAO_JID = "5511976540132@s.whatsapp.net"
ANA_JID = "5521988881234@s.whatsapp.net"
LIA_JID = "5531977775555@s.whatsapp.net"


@pytest.fixture
def inbox(tenant, other_tenant):
    channel = make_channel(tenant)
    ingest = message_ingest
    ingest(channel=channel, inbound=inbound_text(jid=JOAO_JID, body="Oi", contact_name="Jão"))
    ingest(
        channel=channel,
        inbound=inbound_text(
            jid=ANA_JID, body="Preciso remarcar a SESSÃO de terça", contact_name="Ana P."
        ),
    )
    ingest(
        channel=channel,
        inbound=inbound_text(jid=LIA_JID, body="Pago 100% via PIX_QR amanhã", contact_name="Lia"),
    )
    joao = Thread.objects.get(tenant=tenant, thread_key="+5511976540132")
    joao.patient = Patient.objects.create(tenant=tenant, full_name="João Araújo Dias")
    joao.save()
    # Another clinic has the same words, names and a thread of its own.
    theirs = make_channel(other_tenant)
    ingest(
        channel=theirs,
        inbound=inbound_text(jid=JOAO_JID, body="sessão remarcada", contact_name="João Araújo"),
    )
    return channel


def keys(tenant, query: str) -> list[str]:
    return [t.thread_key for t in thread_list(tenant=tenant, search=query)]


@pytest.mark.parametrize("query", ["joao", "ARAUJO", "joão araújo", "dias joao"])
def test_linked_patient_name_finds_the_thread(inbox, tenant, query):
    assert keys(tenant, query) == ["+5511976540132"]


@pytest.mark.parametrize("query", ["jao", "JÃO"])
def test_contact_name_without_accents(inbox, tenant, query):
    assert keys(tenant, query) == ["+5511976540132"]


@pytest.mark.parametrize("query", ["98888-1234", "(21) 98888", "5521988881234", "+55 21 9888"])
def test_number_in_any_spelling(inbox, tenant, query):
    assert keys(tenant, query) == ["+5521988881234"]


@pytest.mark.parametrize("query", ["sessao", "SESSÃO TERCA", "remarcar sessão"])
def test_message_text_without_accents(inbox, tenant, query):
    assert keys(tenant, query) == ["+5521988881234"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", ["+5531977775555"]),
        ("pix_qr", ["+5531977775555"]),
        ("pix%qr", []),
        ("a_a", []),
        ("%%%", []),
        ("' or 1=1 --", []),
        ("[a-z]+", []),
        ("\x00", []),
    ],
)
def test_wildcards_and_sql_are_literal(inbox, tenant, query, expected):
    assert keys(tenant, query) == expected


def test_empty_query_keeps_every_thread_and_short_words_skip_message_text(inbox, tenant):
    assert len(keys(tenant, "")) == 3
    # Two letters: names only (the trigram index cannot narrow message text that short).
    assert keys(tenant, "li") == ["+5531977775555"]
    assert not messages_matching(tenant=tenant, query="de").exists()
    assert not messages_matching(tenant=tenant, query="%_% a_b").exists()
    assert messages_matching(tenant=tenant, query="de terça").count() == 1


def test_filter_composes_with_the_callers_queryset(inbox, tenant):
    qs = Thread.objects.filter(tenant=tenant, unread_count__gt=0).order_by("thread_key")
    matched = thread_search_filter(tenant=tenant, qs=qs, query="sessao")
    assert [t.thread_key for t in matched] == ["+5521988881234"]
    # Names and numbers only (the global search lists message hits apart).
    assert not thread_search_filter(tenant=tenant, qs=qs, query="sessao", message_text=False)
    by_name = thread_search_filter(tenant=tenant, qs=qs, query="ana p", message_text=False)
    assert [t.thread_key for t in by_name] == ["+5521988881234"]
    assert thread_search_filter(tenant=tenant, qs=qs, query="  ") is qs


def test_messages_matching_stays_in_the_tenant(inbox, tenant, other_tenant):
    mine = list(messages_matching(tenant=tenant, query="sessao"))
    assert [m.body for m in mine] == ["Preciso remarcar a SESSÃO de terça"]
    theirs = list(messages_matching(tenant=other_tenant, query="sessao"))
    assert [m.body for m in theirs] == ["sessão remarcada"]


def test_search_text_follows_every_thread_write(tenant):
    channel = make_channel(tenant)
    # First message from a contact without a name, then one with it: the upsert fills both.
    message_ingest(channel=channel, inbound=inbound_text(jid=JOAO_JID, body="oi"))
    thread = Thread.objects.get()
    assert thread.search_text == "+5511976540132"
    message_ingest(
        channel=channel, inbound=inbound_text(jid=JOAO_JID, body="oi", contact_name="Sérgio Ávila")
    )
    thread.refresh_from_db()
    assert thread.search_text == "sergio avila +5511976540132"
    # A later different push name changes neither.
    message_ingest(channel=channel, inbound=inbound_text(jid=JOAO_JID, contact_name="Outro"))
    thread.refresh_from_db()
    assert (thread.contact_name, thread.search_text) == (
        "Sérgio Ávila",
        "sergio avila +5511976540132",
    )
    # The get-or-create path (sends to a new number) fills a blank name the same way.
    blank = thread_get_or_create(tenant=tenant, thread_key="+5521911112222")
    assert blank.search_text == "+5521911112222"
    named = thread_get_or_create(tenant=tenant, thread_key="+5521911112222", contact_name="Íris")
    named.refresh_from_db()
    assert named.search_text == "iris +5521911112222"


def test_sent_messages_are_searchable(tenant, owner, adapters):
    channel = make_channel(tenant)
    adapters.script(channel)
    message_send(tenant=tenant, actor=owner, thread_key="+5511976540132", text="Confirmação OK")
    assert Message.objects.get().search_text == "confirmacao ok"
    assert messages_matching(tenant=tenant, query="confirmacao").count() == 1


def test_inbox_page_search_without_accents(owner_client, inbox):
    html = owner_client.get(reverse("crm:inbox"), {"q": "joao"}).content.decode()
    assert "João Araújo Dias" in html and "Ana P." not in html
    html = owner_client.get(reverse("crm:inbox"), {"q": "%"}).content.decode()
    assert "Ana P." not in html and "Lia" not in html


def test_message_search_plan_uses_the_trigram_index(inbox, tenant):
    sql = captured_sql(
        lambda: list(messages_matching(tenant=tenant, query="sessao").order_by("-created_at")[:5])
    )
    plan = query_plan(sql, table="conversation_messages", keep="messages_search_trgm_idx")
    if connection.vendor == "postgresql":
        assert "messages_search_trgm_idx" in plan, plan
        assert "search_text ~~ '%sessao%'" in plan, plan
    else:
        # SQLite has no trigram index: the scan is bounded to the tenant by an index.
        assert "USING INDEX messages_tenant" in plan, plan


def test_thread_search_plan_uses_the_trigram_indexes(inbox, tenant):
    sql = captured_sql(lambda: keys(tenant, "sessao"))
    plan = query_plan(sql, table="conversation_messages", keep="messages_search_trgm_idx")
    if connection.vendor == "postgresql":
        # The message text match is a hashed sub-select served by the trigram index.
        assert "messages_search_trgm_idx" in plan, plan
    else:
        assert "SEARCH U0 USING INDEX messages_tenant" in plan, plan


def test_message_text_finds_the_threads_of_the_most_recent_matches(inbox, tenant, monkeypatch):
    channel = inbox
    message_ingest(
        channel=channel, inbound=inbound_text(jid=JOAO_JID, body="outra sessão, mais recente")
    )
    assert keys(tenant, "sessao") == ["+5511976540132", "+5521988881234"]
    # Only the newest matching messages count (a frequent word never reads every message).
    monkeypatch.setattr("clinicrm.messaging.selectors.MESSAGE_MATCHES", 1)
    assert keys(tenant, "sessao") == ["+5511976540132"]
    # Names and numbers are not capped.
    assert keys(tenant, "joao") == ["+5511976540132"]
