"""Backfill of WhatsApp-linked patient phones from conversations."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from clinicrm.core.models import AuditLog
from clinicrm.messaging.backfill import whatsapp_phones_backfill
from clinicrm.messaging.models import Direction, Message
from clinicrm.messaging.tests.factories import make_channel, make_thread
from clinicrm.people.models import ContactPhone, Patient
from clinicrm.people.services.contacts import contact_phone_add

pytestmark = pytest.mark.django_db

AUDIT = "whatsapp.phones_backfill"


def patient(tenant, name: str, *numbers: str) -> Patient:
    p = Patient.objects.create(tenant=tenant, full_name=name)
    for number in numbers:
        contact_phone_add(entity=p, actor=None, number=number)
    return p


def message(tenant, channel, thread_key: str, raw: str) -> Message:
    return Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key=thread_key,
        contact_raw_id=raw,
        direction=Direction.INBOUND,
        body="Olá",
        provider_timestamp=timezone.now(),
    )


def phones_state(tenant) -> list[tuple]:
    return list(
        ContactPhone.objects.filter(tenant=tenant)
        .order_by("entity_id", "number_e164")
        .values_list("entity_id", "number_e164", "whatsapp_linked", "provider_raw_id", "is_primary")
    )


@pytest.fixture
def scene(tenant):
    channel = make_channel(tenant)
    maria = patient(tenant, "Maria", "(11) 98888-7777")
    # 13-digit thread key, 12-digit JID as the provider wrote it.
    make_thread(tenant, "+5511988887777", contact_raw_id="551188887777@s.whatsapp.net")
    message(tenant, channel, "+5511988887777", "551188887777@s.whatsapp.net")
    # A number seen only in messages, in the legacy 12-digit form; the patient has it as 13.
    joao = patient(tenant, "João", "+55 31 98765-4321")
    message(tenant, channel, "+5531987654321", "553187654321@s.whatsapp.net")
    # A thread linked to a patient who lacks that number (she has another one).
    ana = patient(tenant, "Ana", "(21) 97777-1111")
    make_thread(
        tenant, "+5521966665555", contact_raw_id="5521966665555@s.whatsapp.net", patient=ana
    )
    # A LID-only thread linked to a patient: no phone known, skipped.
    bia = patient(tenant, "Bia")
    make_thread(tenant, "lid:123456789012345", contact_lid="123456789012345@lid", patient=bia)
    # An unknown number: no patient is created for it.
    make_thread(tenant, "+5511955554444", contact_raw_id="5511955554444@s.whatsapp.net")
    return {"maria": maria, "joao": joao, "ana": ana, "bia": bia}


def test_links_adds_and_second_run_changes_nothing(tenant, scene):
    patients_before = Patient.objects.count()
    report = whatsapp_phones_backfill(tenant=tenant)
    counts = report.tenants[str(tenant.pk)]
    assert (counts.phones_linked, counts.raw_ids_stored, counts.phones_added) == (2, 2, 1)
    assert (counts.skipped_lid, counts.unmatched) == (1, 1)

    maria = ContactPhone.objects.get(entity_id=scene["maria"].pk)
    assert maria.whatsapp_linked and maria.provider_raw_id == "551188887777@s.whatsapp.net"
    joao = ContactPhone.objects.get(entity_id=scene["joao"].pk)
    assert joao.number_e164 == "+5531987654321"  # the 12-digit JID matched the 13-digit phone
    assert joao.whatsapp_linked and joao.provider_raw_id == "553187654321@s.whatsapp.net"
    added = ContactPhone.objects.get(entity_id=scene["ana"].pk, number_e164="+5521966665555")
    assert added.whatsapp_linked and not added.is_primary
    assert added.provider_raw_id == "5521966665555@s.whatsapp.net"
    assert not ContactPhone.objects.filter(entity_id=scene["bia"].pk).exists()
    assert Patient.objects.count() == patients_before
    audit = AuditLog.objects.get(action=AUDIT, tenant=tenant)
    assert audit.details["phones_added"] == 1
    assert "98888" not in str(audit.details)  # counts only

    state = phones_state(tenant)
    again = whatsapp_phones_backfill(tenant=tenant).tenants[str(tenant.pk)]
    assert again.changed == 0 and (again.phones_linked, again.phones_added) == (0, 0)
    assert phones_state(tenant) == state
    assert AuditLog.objects.filter(action=AUDIT).count() == 1


def test_existing_raw_id_is_kept(tenant, scene):
    ContactPhone.objects.filter(entity_id=scene["maria"].pk).update(
        provider_raw_id="5511988887777@s.whatsapp.net"
    )
    whatsapp_phones_backfill(tenant=tenant)
    phone = ContactPhone.objects.get(entity_id=scene["maria"].pk)
    assert phone.provider_raw_id == "5511988887777@s.whatsapp.net" and phone.whatsapp_linked


def test_legacy_12_digit_thread_key_matches(tenant):
    p = patient(tenant, "Carla", "+5511977776666")
    make_thread(tenant, "+551177776666")  # an old row kept before the 9th digit was restored
    counts = whatsapp_phones_backfill(tenant=tenant).tenants[str(tenant.pk)]
    assert counts.phones_linked == 1
    assert ContactPhone.objects.get(entity_id=p.pk).whatsapp_linked


def test_other_tenants_untouched(tenant, other_tenant, scene):
    other_channel = make_channel(other_tenant)
    stranger = patient(other_tenant, "Maria (outra clínica)", "(11) 98888-7777")
    other_before = phones_state(other_tenant)
    whatsapp_phones_backfill(tenant=tenant)
    assert phones_state(other_tenant) == other_before
    assert not AuditLog.objects.filter(action=AUDIT, tenant=other_tenant).exists()
    # The other clinic's own conversations only link its own patients on an all-tenant run.
    make_thread(other_tenant, "+5511988887777", contact_raw_id="551188887777@s.whatsapp.net")
    message(other_tenant, other_channel, "+5511988887777", "551188887777@s.whatsapp.net")
    report = whatsapp_phones_backfill()
    assert report.tenants[str(other_tenant.pk)].phones_linked == 1
    assert report.tenants[str(tenant.pk)].changed == 0
    assert ContactPhone.objects.get(entity_id=stranger.pk, tenant=other_tenant).whatsapp_linked


def test_dry_run_counts_without_writing(tenant, scene):
    before = phones_state(tenant)
    report = whatsapp_phones_backfill(tenant=tenant, dry_run=True)
    counts = report.tenants[str(tenant.pk)]
    assert (counts.phones_linked, counts.phones_added) == (2, 1)
    assert phones_state(tenant) == before
    assert not AuditLog.objects.filter(action=AUDIT).exists()


def test_command(tenant, scene):
    out = StringIO()
    call_command("whatsapp_backfill_phones", "--tenant", tenant.slug, "--dry-run", stdout=out)
    text = out.getvalue()
    assert "[dry-run]" in text and "linked=2" in text and "added=1" in text
    assert "98888" not in text and "Maria" not in text  # counts only, no personal data
    assert not ContactPhone.objects.filter(whatsapp_linked=True).exists()
    out = StringIO()
    call_command("whatsapp_backfill_phones", "--tenant", str(tenant.pk), stdout=out)
    assert "2 telefone(s) vinculado(s)" in out.getvalue()
    assert ContactPhone.objects.filter(whatsapp_linked=True).count() == 3
    with pytest.raises(Exception, match="Clínica não encontrada"):
        call_command("whatsapp_backfill_phones", "--tenant", "nao-existe")
