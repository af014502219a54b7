"""The inbox selector: each filter returns exactly the right threads, in the order of the dates
shown, page after page without repeats; the Kanban's stage columns partition the threads."""

import datetime as dt

import pytest
from django.utils import timezone

from clinicrm.core.models import Role
from clinicrm.crm.models import Stage, ThreadStatus
from clinicrm.crm.selectors import Cursor, InboxFilters, stage_condition, thread_page
from clinicrm.crm.services import UNASSIGNED, assignment_set, thread_stage_set, thread_tag_add
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.people.models import Patient

pytestmark = pytest.mark.django_db


def _ids(tenant, user, **params) -> list[int]:
    page = thread_page(
        tenant=tenant, user=user, filters=InboxFilters.from_params(params), limit=100
    )
    return [row.pk for row in page.rows]


@pytest.fixture
def inbox(tenant, other_tenant, owner, member_factory):
    """Six threads of the tenant (t0 newest) and one of another tenant."""
    secretary = member_factory(Role.SECRETARY)
    t = [make_inbox_thread(tenant, minutes_ago=10 * i) for i in range(6)]
    make_inbox_thread(other_tenant, minutes_ago=1)
    vip, billing = make_tag(tenant, "VIP"), make_tag(tenant, "Cobrança", "amber")
    assignment_set(tenant=tenant, thread=t[0], assignee_id=owner.pk, actor=owner)
    assignment_set(tenant=tenant, thread=t[2], assignee_id=secretary.pk, actor=owner)
    # Assigned then released: counts as "não atribuída".
    assignment_set(tenant=tenant, thread=t[4], assignee_id=owner.pk, actor=owner)
    assignment_set(tenant=tenant, thread=t[4], assignee_id=None, actor=owner)
    for thread, tag in ((t[1], vip), (t[2], vip), (t[2], billing), (t[5], billing)):
        thread_tag_add(tenant=tenant, thread=thread, tag_id=tag.pk, actor=owner)
    for thread in (t[1], t[3]):
        thread.unread_count = 2
        thread.save(update_fields=["unread_count"])
    t[3].contact_name = "João Araújo"
    t[3].save(update_fields=["contact_name"])
    patient = Patient.objects.create(tenant=tenant, full_name="Rodrigo Fernandes Mendes")
    t[5].patient = patient
    t[5].save(update_fields=["patient"])
    return {"t": [x.pk for x in t], "vip": vip, "billing": billing, "secretary": secretary}


def test_each_filter_returns_exactly_its_threads(tenant, owner, inbox):
    t = inbox["t"]
    assert _ids(tenant, owner) == t  # newest first, only this tenant's
    assert _ids(tenant, owner, vista="minhas") == [t[0]]
    assert _ids(tenant, inbox["secretary"], vista="minhas") == [t[2]]
    assert _ids(tenant, owner, vista="nao-atribuidas") == [t[1], t[3], t[4], t[5]]
    assert _ids(tenant, owner, etiqueta=str(inbox["vip"].pk)) == [t[1], t[2]]
    assert _ids(tenant, owner, etiqueta=str(inbox["billing"].pk)) == [t[2], t[5]]
    assert _ids(tenant, owner, **{"nao-lidas": "1"}) == [t[1], t[3]]
    assert _ids(tenant, owner, q="João") == [t[3]]
    assert _ids(tenant, owner, q="fernandes mendes") == [t[5]]  # the patient's record name
    # Filters combine.
    assert _ids(tenant, owner, vista="nao-atribuidas", etiqueta=str(inbox["vip"].pk)) == [t[1]]
    assert _ids(
        tenant, owner, vista="nao-atribuidas", etiqueta=str(inbox["billing"].pk), q="rodrigo"
    ) == [t[5]]


@pytest.mark.parametrize("q", ["%", "_", "' OR 1=1 --", ".*", "[a-z]+", "\\", "a%b_c", "(?i)"])
def test_search_strings_with_sql_and_pattern_characters_match_nothing_literal(
    q, tenant, owner, inbox
):
    assert _ids(tenant, owner, q=q) == []


def test_unknown_or_bad_filter_values_fall_back_to_no_filter(tenant, owner, inbox):
    assert (
        _ids(tenant, owner, vista="todas'--", etiqueta="1 OR 1=1", **{"nao-lidas": "x"})
        == (inbox["t"])
    )
    # A tag of another tenant (or none at all) simply matches nothing.
    assert _ids(tenant, owner, etiqueta="999999") == []


def test_keyset_pages_follow_the_dates_without_repeats(tenant, owner):
    now = timezone.now()
    same = now - dt.timedelta(hours=1)
    threads = [make_inbox_thread(tenant, last_message_at=same) for _ in range(3)]
    threads += [make_inbox_thread(tenant, minutes_ago=m) for m in (1, 2, 300)]
    seen, cursor = [], None
    while True:
        filters = InboxFilters()
        page = thread_page(tenant=tenant, user=owner, filters=filters, cursor=cursor, limit=2)
        seen += [(row.thread.last_message_at, row.pk) for row in page.rows]
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())
    assert len(seen) == 6 and len({pk for _, pk in seen}) == 6
    assert seen == sorted(seen, reverse=True)  # the order of the dates shown, then id


def test_a_malformed_cursor_is_the_first_page_or_refused_when_strict():
    assert Cursor.decode("abc") is None
    assert Cursor.decode("99999999999999999999.1") is None
    with pytest.raises(Exception, match="Cursor de paginação inválido"):
        Cursor.decode("1.2.3", strict=True)
    cursor = Cursor(at=timezone.now(), thread_id=42)
    assert Cursor.decode(cursor.encode()) == cursor


def test_stage_columns_partition_the_threads_and_reopen_on_a_patient_message(tenant, owner):
    open_, working, waiting, done, reopened, silent_done = (
        make_inbox_thread(tenant, minutes_ago=i, inbound_minutes_ago=i + 30) for i in range(6)
    )
    silent_done.last_inbound_at = None
    silent_done.save(update_fields=["last_inbound_at"])
    for thread, stage in (
        (working, Stage.IN_PROGRESS),
        (waiting, Stage.WAITING),
        (done, Stage.DONE),
        (reopened, Stage.DONE),
        (silent_done, Stage.DONE),
    ):
        thread_stage_set(tenant=tenant, thread=thread, stage=stage, actor=owner)
    # The patient wrote after "concluída" was decided.
    ThreadStatus.objects.filter(thread=reopened).update(
        changed_at=timezone.now() - dt.timedelta(hours=2)
    )

    def column(stage: str) -> set[int]:
        page = thread_page(
            tenant=tenant, user=owner, filters=InboxFilters(), extra=stage_condition(stage)
        )
        for row in page.rows:
            assert row.stage == stage  # the card says the column it is in
        return {row.pk for row in page.rows}

    assert column(Stage.OPEN) == {open_.pk, reopened.pk}
    assert column(Stage.IN_PROGRESS) == {working.pk}
    assert column(Stage.WAITING) == {waiting.pk}
    assert column(Stage.DONE) == {done.pk, silent_done.pk}


def test_rows_carry_assignee_tags_and_display_name(tenant, owner, inbox):
    page = thread_page(tenant=tenant, user=owner, filters=InboxFilters(), limit=100)
    rows = {row.pk: row for row in page.rows}
    t = inbox["t"]
    assert rows[t[0]].assignee_id == str(owner.pk)
    assert rows[t[4]].assignee_id == ""
    assert [tag.name for tag in rows[t[2]].tags] == ["Cobrança", "VIP"]
    assert rows[t[5]].display_name == "Rodrigo Fernandes Mendes"
    assert rows[t[3]].display_name == "João Araújo"
    assert rows[t[0]].display_name.startswith("+55 (11) 9")
    assert UNASSIGNED == ""


def test_search_ignores_accents_and_case_and_reads_message_text(tenant, owner):
    from clinicrm.messaging.models import Direction, Message
    from clinicrm.messaging.tests.factories import make_channel

    joao = make_inbox_thread(tenant, contact_name="João Araújo Dias")
    other = make_inbox_thread(tenant, contact_name="Beatriz")
    Message.objects.create(
        tenant=tenant,
        channel=make_channel(tenant),
        thread_key=other.thread_key,
        direction=Direction.INBOUND,
        body="Posso REMARCAR a sessão de amanhã?",
        provider_timestamp=timezone.now(),
    )
    for q in ("joao", "JOAO ARAUJO", "araújo dias", "Dias"):
        assert _ids(tenant, owner, q=q) == [joao.pk], q
    assert _ids(tenant, owner, q="remarcar sessao") == [other.pk]  # message text, no accents
    assert _ids(tenant, owner, q=joao.thread_key[-8:]) == [joao.pk]  # number digits
