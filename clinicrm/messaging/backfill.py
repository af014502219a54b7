"""Backfill: phones seen in conversations become WhatsApp-linked patient phones.

For each tenant, every conversation number is gathered from the threads (canonical
`thread_key`, re-canonicalised in case an older row kept a 12-digit form) and from the messages'
raw contact ids (a JID `551188887777@s.whatsapp.net` lands on `+5511988887777`). Then:

1. every patient phone with that number is marked `whatsapp_linked` and gets the provider's raw
   id when it had none (one conditional UPDATE per phone: a re-run finds nothing to change);
2. a thread already linked to a patient (`Thread.patient`) whose number that patient lacks gets
   it added as a WhatsApp-linked phone through people's `contact_phone_add`.

Patients are never created. `@lid`-only threads (no phone known) are skipped. One audit row per
tenant with counts only (written only when something changed, so a re-run leaves no trace).
`dry_run` does all the work inside a transaction that is rolled back, so its counts are exact.
"""

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction

from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.messaging.identity import LID_KEY_PREFIX, contact_identity, phone_key
from clinicrm.messaging.models import Message, Thread
from clinicrm.people.models import ContactPhone, EntityType, Patient
from clinicrm.people.services.contacts import contact_phone_add

logger = logging.getLogger(__name__)

CHUNK = 500


@dataclass
class BackfillCounts:
    numbers: int = 0  # distinct conversation phone numbers seen
    skipped_lid: int = 0  # threads known only by a LID (no phone)
    phones_linked: int = 0  # existing patient phones newly flagged WhatsApp-linked
    raw_ids_stored: int = 0  # existing patient phones that got the provider's raw id
    phones_added: int = 0  # numbers added to the patient a thread is linked to
    unmatched: int = 0  # numbers with no patient phone and no linked patient

    @property
    def changed(self) -> int:
        return self.phones_linked + self.raw_ids_stored + self.phones_added


@dataclass
class BackfillReport:
    dry_run: bool = False
    tenants: dict[str, BackfillCounts] = field(default_factory=dict)

    @property
    def total(self) -> BackfillCounts:
        out = BackfillCounts()
        for counts in self.tenants.values():
            for key, value in asdict(counts).items():
                setattr(out, key, getattr(out, key) + value)
        return out


class _DryRunRollback(Exception):
    pass


def _is_phone_raw(raw: str) -> bool:
    return bool(raw) and not raw.lower().endswith("@lid")


def _numbers_of(tenant: Tenant, counts: BackfillCounts) -> dict[str, dict[str, Any]]:
    """number E.164 -> {"raw": provider raw id or "", "patients": {patient ids of threads}}."""
    numbers: dict[str, dict[str, Any]] = {}

    def seen(key: str | None, raw: str, patient_id: int | None = None) -> None:
        if not key:
            return
        entry = numbers.setdefault(key, {"raw": "", "patients": set()})
        if _is_phone_raw(raw) and not entry["raw"]:
            entry["raw"] = raw[:120]
        if patient_id is not None:
            entry["patients"].add(patient_id)

    threads = Thread.objects.filter(tenant=tenant).values_list(
        "thread_key", "contact_raw_id", "patient_id"
    )
    for thread_key, raw, patient_id in threads.iterator(chunk_size=CHUNK):
        if thread_key.startswith(LID_KEY_PREFIX):
            counts.skipped_lid += 1
            continue
        seen(phone_key(thread_key), raw, patient_id)

    raws = (
        Message.objects.filter(tenant=tenant)
        .exclude(contact_raw_id="")
        .values_list("contact_raw_id", flat=True)
        .distinct()
    )
    for raw in raws.iterator(chunk_size=CHUNK):
        identity = contact_identity(raw)
        if identity is not None and identity.has_phone:
            seen(identity.thread_key, identity.raw_id)
    counts.numbers = len(numbers)
    return numbers


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _tenant_backfill(tenant: Tenant) -> BackfillCounts:
    counts = BackfillCounts()
    numbers = _numbers_of(tenant, counts)
    matched: set[str] = set()
    # patient id -> numbers that patient already has
    has: dict[int, set[str]] = {}
    for keys in _chunks(sorted(numbers)):
        phones = ContactPhone.objects.filter(
            tenant=tenant, entity_type=EntityType.PATIENT, number_e164__in=keys
        ).only("pk", "number_e164", "entity_id", "whatsapp_linked", "provider_raw_id")
        for phone in phones:
            matched.add(phone.number_e164)
            has.setdefault(phone.entity_id, set()).add(phone.number_e164)
            raw = numbers[phone.number_e164]["raw"]
            if not phone.whatsapp_linked:
                counts.phones_linked += ContactPhone.objects.filter(
                    pk=phone.pk, whatsapp_linked=False
                ).update(whatsapp_linked=True)
            if raw and not phone.provider_raw_id:
                counts.raw_ids_stored += ContactPhone.objects.filter(
                    pk=phone.pk, provider_raw_id=""
                ).update(provider_raw_id=raw)

    linked_ids = {pid for entry in numbers.values() for pid in entry["patients"]}
    patients = {p.pk: p for p in Patient.objects.filter(tenant=tenant, pk__in=linked_ids)}
    if linked_ids:
        for entity_id, number in ContactPhone.objects.filter(
            tenant=tenant, entity_type=EntityType.PATIENT, entity_id__in=linked_ids
        ).values_list("entity_id", "number_e164"):
            has.setdefault(entity_id, set()).add(number)
    for key in sorted(numbers):
        entry = numbers[key]
        added = False
        for patient_id in sorted(entry["patients"]):
            patient = patients.get(patient_id)
            if patient is None or key in has.get(patient_id, set()):
                continue
            contact_phone_add(
                entity=patient,
                actor=None,
                number=key,
                whatsapp_linked=True,
                provider_raw_id=entry["raw"],
            )
            has.setdefault(patient_id, set()).add(key)
            counts.phones_added += 1
            added = True
        if key not in matched and not added:
            counts.unmatched += 1
    return counts


def whatsapp_phones_backfill(
    *, tenant: Tenant | None = None, dry_run: bool = False
) -> BackfillReport:
    """Link conversation phones to patient phones (see module docstring). Idempotent."""
    report = BackfillReport(dry_run=dry_run)
    tenants = Tenant.objects.filter(pk=tenant.pk) if tenant is not None else Tenant.objects.all()
    for current in tenants.order_by("pk").iterator():
        try:
            with transaction.atomic():
                counts = _tenant_backfill(current)
                if dry_run:
                    report.tenants[str(current.pk)] = counts
                    raise _DryRunRollback
                if counts.changed:
                    audit_log_record(
                        action="whatsapp.phones_backfill",
                        tenant=current,
                        object_type="tenant",
                        object_id=str(current.pk),
                        details=asdict(counts),
                    )
        except _DryRunRollback:
            continue
        report.tenants[str(current.pk)] = counts
        if counts.changed:
            logger.info("whatsapp phones backfill tenant=%s %s", current.pk, asdict(counts))
    return report
