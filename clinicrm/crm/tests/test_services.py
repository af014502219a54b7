"""CRM services: assignment (members only, stale refusals, audit, notification), notes (author
only), tags (unique per tenant, system tags fixed), Kanban stages and the patient link."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog, Membership, Notification, Role
from clinicrm.core.services import membership_update
from clinicrm.crm.models import Assignment, Note, Stage, Tag, ThreadTag
from clinicrm.crm.services import (
    UNASSIGNED,
    assignment_set,
    assignment_take,
    note_create,
    note_delete,
    note_update,
    tag_create,
    tag_delete,
    tag_system_ensure,
    tag_update,
    thread_stage_set,
    thread_tag_add,
    thread_tag_remove,
)
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.messaging.models import RealtimeEvent

pytestmark = pytest.mark.django_db


# --- assignment ----------------------------------------------------------------------------------


def test_assignment_to_an_active_member_is_upserted_audited_and_notified(
    tenant, owner, member_factory
):
    secretary = member_factory(Role.SECRETARY)
    thread = make_inbox_thread(tenant)
    row = assignment_set(
        tenant=tenant, thread=thread, assignee_id=secretary.pk, actor=owner, expected=UNASSIGNED
    )
    assert row.assigned_to == secretary and row.assigned_at is not None
    assert row.assigned_by == owner
    # Upsert: reassigning keeps one row per thread.
    assignment_set(
        tenant=tenant, thread=thread, assignee_id=owner.pk, actor=owner, expected=str(secretary.pk)
    )
    assert Assignment.objects.filter(thread=thread).count() == 1
    actions = list(
        AuditLog.objects.filter(object_id=str(thread.pk))
        .order_by("id")
        .values_list("action", "details")
    )
    assert actions == [
        ("conversation.assign", {"from": None, "to": str(secretary.pk)}),
        ("conversation.assign", {"from": str(secretary.pk), "to": str(owner.pk)}),
    ]
    # The assignee hears about it; nobody is notified of what they did themselves.
    note = Notification.objects.get(user=secretary)
    assert note.title == "Conversa atribuída a você"
    assert note.url.endswith(f"?conversa={thread.pk}")
    assert not Notification.objects.filter(user=owner).exists()
    assert RealtimeEvent.objects.filter(kind="crm", payload__thread=thread.pk).count() == 2


@pytest.mark.parametrize("who", ["other_tenant_member", "inactive_member", "stranger"])
def test_assignment_to_a_non_member_is_refused_and_changes_nothing(
    who, tenant, other_tenant, owner, other_owner, member_factory
):
    from conftest import make_user

    if who == "other_tenant_member":
        target = other_owner
    elif who == "inactive_member":
        target = member_factory(Role.PROFESSIONAL)
        Membership.objects.filter(user=target).update(is_active=False)
    else:
        target = make_user("ninguem@fora.test")
    thread = make_inbox_thread(tenant)
    with pytest.raises(ApplicationError, match="membro ativo desta clínica") as exc:
        assignment_set(tenant=tenant, thread=thread, assignee_id=target.pk, actor=owner)
    assert exc.value.field == "assigned_to"
    assert not Assignment.objects.filter(assigned_to__isnull=False).exists()
    assert not AuditLog.objects.filter(action__startswith="conversation.").exists()


def test_the_database_refuses_an_assignee_from_another_tenant(tenant, other_owner, owner):
    thread = make_inbox_thread(tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(tenant=tenant, thread=thread, assigned_to=other_owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        # A thread of another tenant cannot be assigned under this one either.
        Assignment.objects.create(
            tenant=other_owner.memberships.get().tenant, thread=thread, assigned_to=other_owner
        )
    row = Assignment.objects.create(tenant=tenant, thread=thread, assigned_to=owner)
    assert row.pk


def test_the_database_refuses_moving_an_assignment_to_another_tenants_thread(
    tenant, other_tenant, owner
):
    row = Assignment.objects.create(tenant=tenant, thread=make_inbox_thread(tenant))
    foreign = make_inbox_thread(other_tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=row.pk).update(thread=foreign)
    # Clearing the assignee is checked against nothing: a release is always allowed.
    Assignment.objects.filter(pk=row.pk).update(assigned_to=owner)
    assert Assignment.objects.filter(pk=row.pk).update(assigned_to=None) == 1


def test_deactivating_a_member_releases_their_threads(tenant, owner, member_factory):
    secretary = member_factory(Role.SECRETARY)
    thread = make_inbox_thread(tenant)
    assignment_set(tenant=tenant, thread=thread, assignee_id=secretary.pk, actor=owner)
    membership = Membership.objects.get(user=secretary)
    membership_update(membership=membership, role=Role.SECRETARY, is_active=False, actor=owner)
    assert Assignment.objects.get(thread=thread).assigned_to is None


def test_a_stale_assignment_is_refused_with_the_current_assignee(tenant, owner, member_factory):
    secretary = member_factory(Role.SECRETARY)
    thread = make_inbox_thread(tenant)
    # Both saw it unassigned; the secretary takes it first.
    assignment_take(tenant=tenant, thread=thread, actor=secretary, expected=UNASSIGNED)
    with pytest.raises(ApplicationError, match="mudou enquanto você a via") as exc:
        assignment_take(tenant=tenant, thread=thread, actor=owner, expected=UNASSIGNED)
    assert exc.value.extra["current"] == str(secretary.pk)
    assert Assignment.objects.get(thread=thread).assigned_to == secretary


def test_unassigning_clears_the_assignee(tenant, owner):
    thread = make_inbox_thread(tenant)
    assignment_take(tenant=tenant, thread=thread, actor=owner, expected=UNASSIGNED)
    row = assignment_set(
        tenant=tenant, thread=thread, assignee_id="", actor=owner, expected=str(owner.pk)
    )
    assert row.assigned_to is None and row.assigned_at is None
    assert AuditLog.objects.filter(action="conversation.unassign").count() == 1


def test_a_thread_of_another_tenant_cannot_be_assigned(tenant, other_tenant, owner):
    thread = make_inbox_thread(other_tenant)
    with pytest.raises(ApplicationError, match="Conversa não encontrada"):
        assignment_set(tenant=tenant, thread=thread, assignee_id=owner.pk, actor=owner)


# --- notes ------------------------------------------------------------------------------------


def test_only_the_author_edits_or_deletes_a_note(tenant, owner, member_factory):
    secretary = member_factory(Role.SECRETARY)
    thread = make_inbox_thread(tenant)
    note = note_create(tenant=tenant, thread=thread, author=secretary, body="  Ligar amanhã  ")
    assert note.body == "Ligar amanhã"
    with pytest.raises(ApplicationError, match="Só quem escreveu"):
        note_update(note=note, actor=owner, body="Outra coisa")
    with pytest.raises(ApplicationError, match="Só quem escreveu"):
        note_delete(note=note, actor=owner)
    note.refresh_from_db()
    assert note.body == "Ligar amanhã" and not note.edited
    note_update(note=note, actor=secretary, body="Ligar amanhã às 10h")
    note.refresh_from_db()
    assert note.body == "Ligar amanhã às 10h" and note.edited
    note_delete(note=note, actor=secretary)
    assert not Note.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_an_empty_or_oversized_note_is_refused(body, tenant, owner):
    thread = make_inbox_thread(tenant)
    with pytest.raises(ApplicationError) as exc:
        note_create(tenant=tenant, thread=thread, author=owner, body=body)
    assert exc.value.field == "body"
    assert not Note.objects.exists()


# --- tags -------------------------------------------------------------------------------------


def test_tag_names_are_unique_per_tenant_ignoring_case_and_accents(tenant, other_tenant, owner):
    tag_create(tenant=tenant, actor=owner, name="Avaliação", color="blue")
    for clash in ("avaliação", "AVALIACAO", "  Avaliacao "):
        with pytest.raises(ApplicationError, match="Já existe uma etiqueta"):
            tag_create(tenant=tenant, actor=owner, name=clash, color="blue")
    # Another clinic may use the same name.
    assert tag_create(tenant=other_tenant, actor=None, name="Avaliação", color="red").pk
    # The index holds even for a writer that skips the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(tenant=tenant, name="AVALIAÇÃO", name_key="avaliacao")


def test_renaming_onto_another_tags_name_is_refused(tenant, owner):
    tag = tag_create(tenant=tenant, actor=owner, name="Convênio", color="green")
    tag_create(tenant=tenant, actor=owner, name="Particular", color="green")
    with pytest.raises(ApplicationError, match="Já existe"):
        tag_update(tag=tag, actor=owner, name="particular")
    tag_update(tag=tag, actor=owner, name="Convênio Unimed", color="orange")
    tag.refresh_from_db()
    assert (tag.name, tag.name_key, tag.color) == ("Convênio Unimed", "convenio unimed", "orange")


@pytest.mark.parametrize(
    ("name", "color", "field"),
    [("", "blue", "name"), ("x" * 41, "blue", "name"), ("Boa", "#ff0000", "color")],
)
def test_bad_tag_input_is_refused(name, color, field, tenant, owner):
    with pytest.raises(ApplicationError) as exc:
        tag_create(tenant=tenant, actor=owner, name=name, color=color)
    assert exc.value.field == field


def test_every_tenant_gets_the_five_system_tags_which_cannot_be_renamed_or_deleted(tenant, owner):
    tag_system_ensure(tenant=tenant)
    tag_system_ensure(tenant=tenant)  # idempotent
    system = list(Tag.objects.filter(tenant=tenant).exclude(system_code=""))
    assert [t.name for t in system] == [
        "Novo contato",
        "Agendamento",
        "Financeiro",
        "Urgente",
        "Retorno",
    ]
    urgent = next(t for t in system if t.system_code == "urgent")
    with pytest.raises(ApplicationError, match="não podem ser renomeadas"):
        tag_update(tag=urgent, actor=owner, name="Muito urgente")
    with pytest.raises(ApplicationError, match="não podem ser removidas"):
        tag_delete(tag=urgent, actor=owner)
    tag_update(tag=urgent, actor=owner, color="orange")  # recolouring is fine
    assert Tag.objects.get(pk=urgent.pk).color == "orange"


def test_tags_on_a_thread_add_once_and_unknown_tags_are_refused(tenant, other_tenant, owner):
    thread = make_inbox_thread(tenant)
    vip = make_tag(tenant)
    assert thread_tag_add(tenant=tenant, thread=thread, tag_id=vip.pk, actor=owner)
    assert not thread_tag_add(tenant=tenant, thread=thread, tag_id=vip.pk, actor=owner)
    assert ThreadTag.objects.filter(thread=thread).count() == 1
    foreign = make_tag(other_tenant, "Deles")
    for bad in (foreign.pk, 999999, "abc", None):
        with pytest.raises(ApplicationError, match="Etiqueta não encontrada"):
            thread_tag_add(tenant=tenant, thread=thread, tag_id=bad, actor=owner)
    assert thread_tag_remove(tenant=tenant, thread=thread, tag_id=vip.pk, actor=owner)
    assert not thread_tag_remove(tenant=tenant, thread=thread, tag_id=vip.pk, actor=owner)
    assert not ThreadTag.objects.exists()


def test_deleting_a_custom_tag_takes_it_off_its_threads(tenant, owner):
    thread = make_inbox_thread(tenant)
    vip = make_tag(tenant)
    thread_tag_add(tenant=tenant, thread=thread, tag_id=vip.pk, actor=owner)
    tag_delete(tag=vip, actor=owner)
    assert not ThreadTag.objects.exists()
    assert AuditLog.objects.get(action="conversation_tag.delete").details == {"threads": 1}


# --- Kanban stages ----------------------------------------------------------------------------


def test_a_stage_move_from_a_stale_column_is_refused(tenant, owner):
    thread = make_inbox_thread(tenant, inbound_minutes_ago=30)
    thread_stage_set(tenant=tenant, thread=thread, stage=Stage.DONE, actor=owner, expected="open")
    with pytest.raises(ApplicationError, match="já tinha mudado para “Concluída”"):
        thread_stage_set(
            tenant=tenant, thread=thread, stage=Stage.IN_PROGRESS, actor=owner, expected="open"
        )
    # The patient writes again: the thread is back in "Em aberto", and a move from there works.
    thread.last_inbound_at = timezone.now()
    thread.save(update_fields=["last_inbound_at"])
    row = thread_stage_set(
        tenant=tenant, thread=thread, stage=Stage.IN_PROGRESS, actor=owner, expected="open"
    )
    assert row.status == Stage.IN_PROGRESS
    with pytest.raises(ApplicationError, match="Status inválido"):
        thread_stage_set(tenant=tenant, thread=thread, stage="archived", actor=owner)


def test_kanban_move_by_tag_swaps_and_refuses_a_stale_move(tenant, owner, other_tenant):
    from clinicrm.core.errors import ApplicationError
    from clinicrm.crm.models import KanbanGroup, ThreadTag
    from clinicrm.crm.services import kanban_group_set, kanban_move, thread_tag_add
    from clinicrm.crm.tests.factories import make_inbox_thread, make_tag

    kanban_group_set(tenant=tenant, group=KanbanGroup.TAG, actor=owner)
    thread = make_inbox_thread(tenant)
    vip, back = make_tag(tenant, "VIP"), make_tag(tenant, "Retorno", "blue")
    foreign = make_tag(other_tenant, "Deles")

    def tags() -> set[int]:
        return set(ThreadTag.objects.filter(thread=thread).values_list("tag_id", flat=True))

    kanban_move(tenant=tenant, thread=thread, to=f"etiqueta-{vip.pk}", expected="sem-etiqueta",
                actor=owner)  # fmt: skip
    assert tags() == {vip.pk}
    kanban_move(tenant=tenant, thread=thread, to=f"etiqueta-{back.pk}",
                expected=f"etiqueta-{vip.pk}", actor=owner)  # fmt: skip
    assert tags() == {back.pk}
    for to, expected in (
        ("sem-etiqueta", f"etiqueta-{vip.pk}"),  # stale: it left VIP already
        (f"etiqueta-{foreign.pk}", f"etiqueta-{back.pk}"),  # another clinic's tag
        ("etiqueta-x", f"etiqueta-{back.pk}"),
    ):
        with pytest.raises(ApplicationError):
            kanban_move(tenant=tenant, thread=thread, to=to, expected=expected, actor=owner)
        assert tags() == {back.pk}
    thread_tag_add(tenant=tenant, thread=thread, tag_id=vip.pk, actor=owner)
    kanban_move(tenant=tenant, thread=thread, to="sem-etiqueta", expected=f"etiqueta-{vip.pk}",
                actor=owner)  # fmt: skip
    assert tags() == {back.pk}
