"""The demo seed: complete, valid, idempotent, and its logins work."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.timeutils import local_today
from clinicrm.devtools.seed import DEMO_PASSWORD, STAFF_EMAIL, seed_counts, seed_demo
from clinicrm.people.documents import cnpj_is_valid, cpf_is_valid
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient, Professional


@pytest.fixture
def seeded(db):
    return seed_demo()


def test_seed_twice_changes_nothing(seeded):
    before = seed_counts()
    again = seed_demo()
    assert again.created == {}
    assert seed_counts() == before
    call_command("seed_demo", verbosity=0)
    assert seed_counts() == before


def test_seed_builds_two_tenants_with_every_role(seeded):
    clinic = Tenant.objects.get(slug="bem-estar")
    solo = Tenant.objects.get(slug="dra-ana-lima")
    assert clinic.name == "Clínica Bem-Estar" and cnpj_is_valid(clinic.cpf_cnpj or "")
    assert solo.name == "Consultório Dra. Ana Lima" and cpf_is_valid(solo.cpf_cnpj or "")
    for tenant in (clinic, solo):
        roles = sorted(Membership.objects.filter(tenant=tenant).values_list("role", flat=True))
        assert roles == sorted(
            [Role.OWNER, Role.ADMIN, Role.PROFESSIONAL, Role.PROFESSIONAL, Role.SECRETARY]
        )
        assert Patient.objects.filter(tenant=tenant).count() == 30
        # Every professional member has a linked professional profile.
        pro_users = Membership.objects.filter(tenant=tenant, role=Role.PROFESSIONAL).values("user")
        assert Professional.objects.filter(tenant=tenant, user__in=pro_users).count() == 2
    assert Membership.objects.get(user__email="dona@bemestar.demo").role == Role.OWNER
    assert User.objects.get(email=STAFF_EMAIL).is_staff


def test_seeded_contacts_follow_the_invariants(seeded):
    phones = ContactPhone.objects.filter(entity_type=EntityType.PATIENT)
    assert phones.count() > 60  # some patients have two phones
    assert all(p.number_e164.startswith("+55") for p in phones)
    assert phones.filter(whatsapp_linked=True).exists()
    for patient in Patient.objects.all():
        mine = phones.filter(tenant=patient.tenant, entity_id=patient.pk)
        assert mine.filter(is_primary=True).count() == 1
        emails = ContactEmail.objects.filter(tenant=patient.tenant, entity_id=patient.pk)
        assert emails.filter(is_primary=True).count() == (1 if emails.exists() else 0)
    # Mobiles keep the 9th digit: +55 + 2-digit area + 9 digits.
    mobiles = phones.filter(contact_type__code="celular")
    assert all(len(p.number_e164) == 14 and p.number_e164[5] == "9" for p in mobiles)


def test_seeded_week_has_past_and_future_statuses(seeded):
    today = local_today()
    monday = today - dt.timedelta(days=today.weekday())
    appts = Appointment.objects.all()
    assert appts.count() >= 20
    assert all(a.starts_at.date() >= monday - dt.timedelta(days=1) for a in appts)
    for appt in appts:
        if appt.status in (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW):
            assert appt.ends_at <= dt.datetime.now(tz=dt.UTC)
        else:
            assert appt.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)


def test_demo_logins_work_and_a_wrong_password_does_not(seeded):
    for email in ("dona@bemestar.demo", "secretaria@analima.demo", STAFF_EMAIL):
        client = Client()
        response = client.post(reverse("core:login"), {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.session.get("_auth_user_id") == str(User.objects.get(email=email).pk)

    client = Client()
    response = client.post(
        reverse("core:login"), {"email": "dona@bemestar.demo", "password": "errada"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- WhatsApp history (seed-chat) ---------------------------------------------------------------
# A Wednesday 10:00 in São Paulo: the seeded week has sessions tomorrow, so the "confirm" thread
# names a real appointment.
CHAT_NOW = dt.datetime(2026, 3, 11, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
def chat_seeded(db):
    import time_machine

    with time_machine.travel(CHAT_NOW, tick=False):
        yield seed_demo()


def _threads(slug: str):
    from clinicrm.messaging.models import Thread

    return Thread.objects.filter(tenant__slug=slug).order_by("-last_message_at")


def _chat_counts() -> dict[str, object]:
    from clinicrm.messaging.models import Message, Thread

    return {
        "threads": Thread.objects.count(),
        "messages": Message.objects.count(),
        "unread": sorted(Thread.objects.values_list("tenant__slug", "unread_count")),
        "statuses": sorted(Message.objects.values_list("provider_message_id", "status")),
    }


def test_seeded_inbox_is_created_once(chat_seeded):
    assert chat_seeded.created["threads"] == 13
    assert chat_seeded.created["messages"] == 32
    before = _chat_counts()
    again = seed_demo()
    assert "threads" not in again.created and "messages" not in again.created
    assert _chat_counts() == before


def test_the_guard_is_existing_threads_of_the_tenant(chat_seeded):
    from clinicrm.messaging.models import Message, Thread

    # A clinic that already talks to someone gets no demo history, even if it lost the rest.
    keep = _threads("bem-estar").first()
    assert keep is not None
    Message.objects.filter(tenant=keep.tenant).exclude(thread_key=keep.thread_key).delete()
    Thread.objects.filter(tenant=keep.tenant).exclude(pk=keep.pk).delete()
    # The other tenant lost everything: its history comes back, identical.
    Message.objects.filter(tenant__slug="dra-ana-lima").delete()
    Thread.objects.filter(tenant__slug="dra-ana-lima").delete()

    again = seed_demo()
    assert again.created == {"threads": 5, "messages": 12}
    assert _threads("bem-estar").count() == 1
    assert _threads("dra-ana-lima").count() == 5


def test_seeded_threads_agree_with_their_messages(chat_seeded):
    from clinicrm.messaging.models import Direction, Message
    from clinicrm.messaging.services.threads import message_preview

    for slug in ("bem-estar", "dra-ana-lima"):
        for thread in _threads(slug):
            rows = list(
                Message.objects.filter(tenant=thread.tenant, thread_key=thread.thread_key).order_by(
                    "provider_timestamp", "id"
                )
            )
            assert rows and all(
                str(m.provider_message_id).startswith(f"DEMO-{slug}-") for m in rows
            )
            assert all(m.provider_timestamp <= CHAT_NOW for m in rows)
            last = rows[-1]
            assert thread.last_message_id == last.pk
            assert thread.last_message_at == last.provider_timestamp
            assert thread.last_message_preview == message_preview(last)
            assert thread.last_direction == last.direction
            inbound = [m for m in rows if m.direction == Direction.INBOUND]
            # A reminder nobody answered (seed_automation) is a thread without inbound messages.
            times = [m.provider_timestamp for m in inbound]
            assert thread.last_inbound_at == max(times, default=None)
            # Placeholders all filled, real pt-BR text (or a template's preview).
            assert all(m.body and "{" not in m.body for m in rows)
    ids = list(Message.objects.values_list("channel_id", "provider_message_id"))
    assert len(ids) == len(set(ids))


def test_seeded_unread_counts_and_statuses_are_as_designed(chat_seeded):
    from clinicrm.messaging.models import Direction, Message, MessageStatus

    clinic = _threads("bem-estar")
    solo = _threads("dra-ana-lima")
    # Bem-Estar: 8 conversations + 3 reminder threads (seed_automation).
    assert clinic.count() == 11 and solo.count() == 5
    assert sorted(t.unread_count for t in clinic if t.unread_count) == [1, 2, 2]
    assert [t.unread_count for t in solo if t.unread_count] == [1]
    # Unread threads end with the patient's messages; a read reply shows blue ticks.
    assert all(t.last_direction == Direction.INBOUND for t in clinic if t.unread_count)
    read_replies = [
        t
        for t in clinic
        if t.last_direction == Direction.OUTBOUND
        and Message.objects.get(pk=t.last_message_id).status == MessageStatus.READ
    ]
    assert read_replies
    outbound = Message.objects.filter(direction=Direction.OUTBOUND)
    assert set(outbound.values_list("status", flat=True)) == {
        MessageStatus.DELIVERED,
        MessageStatus.READ,
    }
    assert outbound.filter(status=MessageStatus.READ).count() == 8 + 3
    assert outbound.filter(from_me=True).count() == outbound.count() == 12 + 4
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 20 + 1


def test_seeded_history_costs_no_credits(chat_seeded):
    from clinicrm.credits.models import CreditTransaction, TransactionKind
    from clinicrm.credits.selectors import credits_balance_value
    from clinicrm.messaging.models import Message

    assert not Message.objects.filter(credit_charged=True).exists()
    assert not CreditTransaction.objects.filter(kind=TransactionKind.USAGE).exists()
    assert credits_balance_value(tenant=Tenant.objects.get(slug="dra-ana-lima")) == 40


def test_seeded_threads_use_patients_primary_whatsapp_numbers(chat_seeded):
    from clinicrm.messaging.models import Message

    for slug in ("bem-estar", "dra-ana-lima"):
        tenant = Tenant.objects.get(slug=slug)
        primary = dict(
            ContactPhone.objects.filter(
                tenant=tenant,
                entity_type=EntityType.PATIENT,
                is_primary=True,
                whatsapp_linked=True,
            ).values_list("number_e164", "entity_id")
        )
        any_phone = set(ContactPhone.objects.values_list("number_e164", flat=True))
        unknown = [t for t in _threads(slug) if not t.contact_name]
        assert len(unknown) == 1 and unknown[0].thread_key not in any_phone
        for thread in _threads(slug).exclude(pk=unknown[0].pk):
            patient = Patient.objects.get(tenant=tenant, pk=primary[thread.thread_key])
            first, *_, last = patient.full_name.split()
            assert thread.contact_name == f"{first} {last}"
        # Provider-shaped raw ids: a JID on Evolution, "whatsapp:+..." on Twilio.
        raw = Message.objects.filter(tenant=tenant).values_list("contact_raw_id", flat=True)
        suffix_ok = {
            "bem-estar": lambda r: r.endswith("@s.whatsapp.net"),
            "dra-ana-lima": lambda r: r.startswith("whatsapp:+55"),
        }[slug]
        assert all(suffix_ok(r) for r in raw)


def test_seeded_confirmation_request_names_tomorrows_real_session(chat_seeded):
    from clinicrm.core.timeutils import SAO_PAULO, local_datetime
    from clinicrm.messaging.models import Message

    asking = Message.objects.get(
        tenant__slug="bem-estar", body__contains="confirmar minha sessão de amanhã"
    )
    tenant = asking.tenant
    tomorrow = dt.date(2026, 3, 12)
    phone = ContactPhone.objects.get(tenant=tenant, number_e164=asking.thread_key, is_primary=True)
    appt = (
        Appointment.objects.filter(
            tenant=tenant,
            patient_id=phone.entity_id,
            starts_at__gte=local_datetime(tomorrow, dt.time(0, 0)),
        )
        .order_by("starts_at")
        .first()
    )
    assert appt is not None
    hour = appt.starts_at.astimezone(SAO_PAULO)
    assert f"às {hour.hour}h" in asking.body
    assert appt.professional.full_name in asking.body
    assert _threads("bem-estar").get(thread_key=asking.thread_key).unread_count == 2


def test_seeded_twilio_threads_have_open_and_closed_windows(chat_seeded):
    from clinicrm.devtools.seed import DEMO_TEMPLATE_SID
    from clinicrm.messaging.models import Message, MessageKind
    from clinicrm.messaging.services import thread_window_state

    threads = list(_threads("dra-ana-lima"))
    states = [thread_window_state(thread=t).is_open for t in threads]  # the clock is still CHAT_NOW
    assert states.count(True) == 2 and states.count(False) == 3
    day_ago = CHAT_NOW - dt.timedelta(hours=24)
    assert sum(1 for t in threads if t.last_inbound_at < day_ago) == 3
    # The clinic wrote to one closed thread the only way it can: an approved template.
    template = Message.objects.get(tenant__slug="dra-ana-lima", kind=MessageKind.TEMPLATE)
    assert template.extra["content_sid"] == DEMO_TEMPLATE_SID
    assert template.body.startswith("Lembrete de sessão")
    thread = next(t for t in threads if t.thread_key == template.thread_key)
    assert template.provider_timestamp - thread.last_inbound_at > dt.timedelta(hours=24)
    assert thread.last_message_id == template.pk


def _shown(thread) -> str:
    """The name the inbox shows: the linked patient's record name, else the WhatsApp name."""
    return thread.patient.full_name if thread.patient else thread.contact_name


def test_seeded_threads_stay_in_their_tenant(chat_seeded):
    clinic_owner = User.objects.get(email="dona@bemestar.demo")
    solo_owner = User.objects.get(email="ana@analima.demo")
    clinic_thread = _threads("bem-estar").exclude(contact_name="").first()
    solo_thread = _threads("dra-ana-lima").exclude(contact_name="").first()
    assert clinic_thread is not None and solo_thread is not None

    client = Client()
    client.force_login(clinic_owner)
    inbox = client.get(reverse("crm:inbox")).content.decode()
    assert _shown(clinic_thread) in inbox
    assert all(_shown(t) not in inbox for t in _threads("dra-ana-lima") if _shown(t))
    mine = reverse("messaging:thread", kwargs={"thread_id": clinic_thread.pk})
    theirs = reverse("messaging:thread", kwargs={"thread_id": solo_thread.pk})
    assert client.get(mine).status_code == 200
    assert client.get(theirs).status_code == 404

    client = Client()
    client.force_login(solo_owner)
    assert _shown(solo_thread) in client.get(reverse("crm:inbox")).content.decode()
    assert client.get(mine).status_code == 404
