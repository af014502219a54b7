"""Notification kinds raised where their event happens (payment received, reminder failures,
channel disconnected, conversation assigned, LGPD export ready), each in pt-BR without personal
data, and each member's preferences (all on by default; a kind switched off does not arrive)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from clinicrm.automation.models import OptOut, ReminderLog, ReminderStatus
from clinicrm.automation.services import reminders_enqueue_due, reminders_send_batch
from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp, reminders_on
from clinicrm.compliance.lgpd.services import patient_export_request
from clinicrm.core.models import Membership, Notification, NotificationPreference, Role
from clinicrm.core.notifications import KINDS, notification_send
from clinicrm.core.tests.helpers import run_queued_tasks
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.models import CreditPurchase
from clinicrm.credits.purchase_states import purchase_payment_received
from clinicrm.crm.services import assignment_set
from clinicrm.messaging.models import ChannelStatus
from clinicrm.messaging.services import channel_status_set
from clinicrm.messaging.tests.factories import make_channel, make_thread
from clinicrm.people.models import Patient

pytestmark = pytest.mark.django_db

PATIENT = "Joana Prado"
START = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SAO_PAULO)


@pytest.fixture
def staff(tenant, owner, member_factory):
    return {
        Role.OWNER: owner,
        Role.ADMIN: member_factory(Role.ADMIN),
        Role.SECRETARY: member_factory(Role.SECRETARY),
        Role.PROFESSIONAL: member_factory(Role.PROFESSIONAL),
    }


def _got(kind: str) -> dict[str, list[Notification]]:
    out: dict[str, list[Notification]] = {}
    for n in Notification.objects.filter(kind=kind).select_related("user"):
        out.setdefault(n.user.email, []).append(n)
    return out


def _no_personal_data(notification: Notification, *needles: str) -> None:
    text = f"{notification.title} {notification.body} {notification.url}"
    for needle in (PATIENT, *needles):
        assert needle not in text


def test_payment_received_tells_the_managers_once(tenant, staff):
    purchase = CreditPurchase.objects.create(
        tenant=tenant, package_name="Clínica", credits=500, amount_brl=Decimal("119.90")
    )
    assert purchase_payment_received(purchase=purchase)
    assert not purchase_payment_received(purchase=purchase)  # the webhook delivered twice
    got = _got("credits.payment_received")
    assert set(got) == {staff[Role.OWNER].email, staff[Role.ADMIN].email}
    (note,) = got[staff[Role.OWNER].email]
    assert note.title == "Pagamento recebido" and "500 créditos" in note.body
    assert note.url == "/configuracoes/creditos-whatsapp"


def _batch_ids() -> list[int]:
    rows = DBTaskResult.objects.filter(task_path__endswith="reminders_send_batch_task")
    return [i for r in rows for i in r.args_kwargs["kwargs"]["log_ids"]]


@pytest.mark.parametrize(("setup", "told"), [("disconnected", True), ("opted_out", False)])
def test_reminder_failures_tell_the_clinic_staff(tenant, staff, setup, told):
    channel = make_channel(tenant)
    reminders_on(tenant)
    patient, number = patient_with_whatsapp(tenant, name=PATIENT)
    appointment_for(tenant, patient, START)
    now = START - dt.timedelta(hours=20)
    if setup == "disconnected":
        channel.status = ChannelStatus.DISCONNECTED
        channel.save()
    else:  # the patient's own choice: nothing failed
        OptOut.objects.create(tenant=tenant, thread_key=number, opted_out_at=now, source="manual")
    assert reminders_enqueue_due(now=now) == 1
    with time_machine.travel(now, tick=False):
        reminders_send_batch(log_ids=_batch_ids())
    assert ReminderLog.objects.get().status == ReminderStatus.SKIPPED
    got = _got("reminders.failed")
    if not told:
        assert got == {}
        return
    assert set(got) == {staff[r].email for r in (Role.OWNER, Role.ADMIN, Role.SECRETARY)}
    note = got[staff[Role.SECRETARY].email][0]
    assert note.body.startswith("1 lembrete de sessão não foi enviado")
    assert "WhatsApp da clínica desconectado" in note.body
    assert note.url == "/configuracoes/lembretes-sessao#log"
    _no_personal_data(note, number, number.lstrip("+"))


def test_channel_disconnected_tells_the_clinic_once_when_a_connected_number_drops(tenant, staff):
    channel = make_channel(tenant)  # active, connected
    assert channel_status_set(channel=channel, status=ChannelStatus.DISCONNECTED)
    assert not channel_status_set(channel=channel, status=ChannelStatus.DISCONNECTED)
    # A pairing attempt that fails (connecting -> disconnected) is not a drop.
    channel_status_set(channel=channel, status=ChannelStatus.CONNECTING)
    channel_status_set(channel=channel, status=ChannelStatus.DISCONNECTED)
    got = _got("channel.disconnected")
    assert set(got) == {staff[r].email for r in (Role.OWNER, Role.ADMIN, Role.SECRETARY)}
    assert [len(v) for v in got.values()] == [1, 1, 1]
    note = got[staff[Role.OWNER].email][0]
    assert note.title == "WhatsApp desconectado" and note.url == "/configuracoes/whatsapp"


def test_conversation_assigned_respects_the_assignees_preference(tenant, staff):
    thread = make_thread(tenant, contact_name=PATIENT)
    secretary = staff[Role.SECRETARY]
    assignment_set(tenant=tenant, thread=thread, assignee_id=secretary.pk, actor=staff[Role.OWNER])
    (note,) = _got("conversation.assigned")[secretary.email]
    _no_personal_data(note, thread.thread_key)
    assert note.url.endswith(f"?conversa={thread.pk}")
    NotificationPreference.objects.create(
        tenant=tenant, user=secretary, kind="conversation.assigned", enabled=False
    )
    assignment_set(tenant=tenant, thread=thread, assignee_id=None, actor=staff[Role.OWNER])
    assignment_set(tenant=tenant, thread=thread, assignee_id=secretary.pk, actor=staff[Role.OWNER])
    assert len(_got("conversation.assigned")[secretary.email]) == 1


def test_lgpd_export_ready_tells_who_asked(tenant, staff):
    patient = Patient.objects.create(tenant=tenant, full_name=PATIENT)
    export = patient_export_request(
        tenant=tenant, patient=patient, fmt="json", actor=staff[Role.ADMIN]
    )
    assert _got("lgpd.export_ready") == {}
    run_queued_tasks()
    got = _got("lgpd.export_ready")
    assert set(got) == {staff[Role.ADMIN].email}
    note = got[staff[Role.ADMIN].email][0]
    assert note.url == f"/lgpd/exportacoes/{export.pk}/" and "24 horas" in note.body
    _no_personal_data(note)


def test_preferences_page_lists_the_roles_kinds_and_is_respected(
    client, tenant, other_tenant, staff, member_factory
):
    secretary = staff[Role.SECRETARY]
    client.force_login(secretary)
    page = client.get("/notificacoes/preferencias/").content.decode()
    assert "Uma conversa foi atribuída a você" in page and "Falha no envio de lembretes" in page
    assert "Pagamento de créditos recebido" not in page  # managers' kind
    assert page.count(" checked") == page.count('name="kinds"')  # all on by default

    kept = ["reminders.failed", "conversation.assigned", "not.a.kind"]
    response = client.post("/notificacoes/preferencias/", {"kinds": kept})
    assert response.status_code == 302
    saved = dict(
        NotificationPreference.objects.filter(user=secretary).values_list("kind", "enabled")
    )
    assert saved["reminders.failed"] and not saved["channel.disconnected"]
    assert "not.a.kind" not in saved and "credits.payment_received" not in saved
    assert (
        'value="channel.disconnected">'
        in client.get("/notificacoes/preferencias/").content.decode()
    )

    # The same member in another clinic keeps every kind there.
    Notification.objects.all().delete()
    Membership.objects.create(tenant=other_tenant, user=secretary, role=Role.SECRETARY)
    for t in (tenant, other_tenant):
        notification_send(tenant=t, user_ids=[secretary.pk], kind="channel.disconnected", title="x")
    assert list(Notification.objects.values_list("tenant_id", flat=True)) == [other_tenant.pk]


def test_every_listed_kind_has_a_label_and_roles():
    for kind in KINDS.values():
        assert kind.label and kind.roles and "." in kind.code
