"""Erasure of one patient's personal data on request (LGPD art. 18, IV and VI).

What goes, in one transaction (the patient row locked, so two erasures cannot interleave):
- the patient's personal fields (name -> "Paciente anonimizado #<id>", social name, CPF, birth
  date, notes); the row stays, archived, because the appointments point at it;
- their phones and e-mails, their LGPD exports (rows now, files after commit);
- the conversations with their numbers (the ones `collect.py` exports): the thread is re-keyed
  to `anon:<thread id>` so the number leaves every table keyed by it (messages, opt-outs,
  auto-reply and reminder logs); message bodies, contact ids, media references and files go;
  internal notes about those conversations are deleted;
- whatever the apps above register (`patient_erase_hook_register`: raw webhook bodies that
  mention the numbers, intake submissions, ...).

What stays, flagged by the `PatientErasure` row: appointments as facts (date, professional,
status; their free-text notes are emptied), the message rows as facts (direction, kind, status,
time: the credit ledger names them), the credit ledger itself (it holds no personal data) and
the audit rows about the patient (ids only, by design). A number shared with another patient of
the clinic keeps its conversation (it is theirs too); only the link to the erased patient goes.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from clinicrm.agenda.models import Appointment
from clinicrm.automation.models import AutoReplyLog, OptOut, ReminderLog
from clinicrm.compliance.models import PatientErasure, PatientExport
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.search import search_normalize
from clinicrm.core.services import audit_log_record
from clinicrm.crm.models import Note
from clinicrm.messaging.models import MediaStatus, Message, Thread
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient

ANON_PREFIX = "anon:"
MSG_CONFIRM = "Para confirmar, digite o nome completo do paciente exatamente como aparece na ficha."


@dataclass(frozen=True)
class ErasureSubject:
    """What identifies the patient outside their own rows, gathered before anything changes:
    what hooks look for (numbers in E.164, raw provider ids such as JIDs and LIDs)."""

    tenant: Tenant
    patient_id: int
    numbers: tuple[str, ...]
    raw_ids: tuple[str, ...]

    def needles(self) -> list[bytes]:
        """Byte strings whose presence marks a raw payload as about this patient: each number
        with and without '+', the old 8-digit form WhatsApp still sends, and the raw ids."""
        out: set[str] = set(self.raw_ids)
        for number in self.numbers:
            digits = number.lstrip("+")
            out.add(digits)
            if digits.startswith("55") and len(digits) == 13 and digits[4] == "9":
                out.add(digits[:4] + digits[5:])
        return [n.encode() for n in sorted(out) if n]


Hook = Callable[[ErasureSubject], int]  # -> rows erased
_hooks: dict[str, Hook] = {}


def patient_erase_hook_register(*, name: str, erase: Hook) -> None:
    """Apps above compliance (integrations, intake) erase their own rows about the patient."""
    _hooks[name] = erase


@dataclass
class ErasureResult:
    erasure: PatientErasure
    already: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        when = timezone.localtime(self.erasure.erased_at).strftime("%d/%m/%Y %H:%M")
        if self.already:
            return f"Os dados deste paciente já foram anonimizados em {when}. Nada foi alterado."
        return (
            "Dados pessoais do paciente anonimizados. Consultas e registros que a clínica deve "
            "guardar foram mantidos sem identificação."
        )


def patient_erase_confirmation_ok(*, patient: Patient, typed: str) -> bool:
    return bool(typed.strip()) and search_normalize(typed) == search_normalize(patient.full_name)


def patient_anonymous_name(*, patient_id: int) -> str:
    return f"Paciente anonimizado #{patient_id}"


def _numbers(tenant: Tenant, patient: Patient) -> list[str]:
    return list(
        ContactPhone.objects.filter(
            tenant=tenant, entity_type=EntityType.PATIENT, entity_id=patient.pk
        ).values_list("number_e164", flat=True)
    )


def _shared_numbers(tenant: Tenant, patient: Patient, numbers: Iterable[str]) -> set[str]:
    """Numbers that are also another patient's: their conversations are that patient's too."""
    return set(
        ContactPhone.objects.filter(
            tenant=tenant, entity_type=EntityType.PATIENT, number_e164__in=list(numbers)
        )
        .exclude(entity_id=patient.pk)
        .values_list("number_e164", flat=True)
    )


def _conversations(
    tenant: Tenant, patient: Patient, numbers: list[str], counts: dict[str, int]
) -> tuple[list[str], list[str]]:
    """Re-key and empty the patient's conversations; returns (media paths, raw ids seen)."""
    shared = _shared_numbers(tenant, patient, numbers)
    threads = list(Thread.objects.filter(tenant=tenant, thread_key__in=numbers)) + list(
        Thread.objects.filter(tenant=tenant, patient=patient).exclude(thread_key__in=numbers)
    )
    raw_ids = [t.contact_raw_id for t in threads] + [t.contact_lid for t in threads]
    keys = {t.thread_key: f"{ANON_PREFIX}{t.pk}" for t in threads if t.thread_key not in shared}
    for n, number in enumerate(sorted(set(numbers) - set(keys) - shared)):
        keys[number] = f"{ANON_PREFIX}p{patient.pk}-{n}"  # messages without a thread row
    for thread in threads:
        if thread.thread_key in shared:
            if thread.patient_id == patient.pk:
                thread.patient = None
                thread.save(update_fields=["patient", "updated_at"])
            continue
        thread.thread_key = keys[thread.thread_key]
        thread.contact_raw_id = thread.contact_lid = thread.contact_name = ""
        thread.last_message_preview = ""
        thread.save(
            update_fields=[
                "thread_key",
                "contact_raw_id",
                "contact_lid",
                "contact_name",
                "last_message_preview",
                "updated_at",
            ]
        )
    erased_threads = [t.pk for t in threads if t.thread_key.startswith(ANON_PREFIX)]
    counts["notas"] = Note.objects.filter(tenant=tenant, thread_id__in=erased_threads).delete()[0]
    paths: list[str] = []
    messages = 0
    for old, new in keys.items():
        qs = Message.objects.filter(tenant=tenant, thread_key=old)
        paths += [p for p in qs.values_list("media_path", flat=True) if p]
        raw_ids += list(qs.exclude(contact_raw_id="").values_list("contact_raw_id", flat=True))
        messages += qs.update(
            thread_key=new,
            body="",
            search_text="",
            contact_raw_id="",
            media_path="",
            media_filename="",
            media_ref={},
            media_status=MediaStatus.NONE,
            extra={},
        )
        OptOut.objects.filter(tenant=tenant, thread_key=old).update(
            thread_key=new, keyword="", reason="", opted_in_keyword="", opted_in_reason=""
        )
        AutoReplyLog.objects.filter(tenant=tenant, thread_key=old).update(thread_key=new)
        ReminderLog.objects.filter(tenant=tenant, thread_key=old).update(thread_key=new)
    counts["conversas"] = len(erased_threads)
    counts["mensagens"] = messages
    counts["midias"] = len(paths)
    return paths, [r for r in raw_ids if r]


def _personal_fields(patient: Patient) -> None:
    patient.full_name = patient_anonymous_name(patient_id=patient.pk)
    patient.social_name = patient.cpf = patient.notes = ""
    patient.birth_date = None
    patient.is_active = False
    patient.archived_at = patient.archived_at or timezone.now()
    patient.save(
        update_fields=[
            "full_name",
            "social_name",
            "cpf",
            "notes",
            "birth_date",
            "is_active",
            "archived_at",
            "updated_at",
        ]
    )


def erased_files_delete(*, erasure_id: int, paths: list[str]) -> int:
    """Delete media files of an erasure from storage; the ones that could not go stay in
    `pending_files` for retention to retry. Returns how many were deleted (or already gone)."""
    left: list[str] = []
    for path in paths:
        try:
            default_storage.delete(path)  # a missing file is not an error
        except OSError:
            left.append(path)
    PatientErasure.objects.filter(pk=erasure_id).update(pending_files=left)
    return len(paths) - len(left)


def patient_erase(
    *, tenant: Tenant, patient: Patient, actor: Any, ip: str | None = None
) -> ErasureResult:
    """Erase the personal data of `patient` (of `tenant`); a second call changes nothing."""
    if patient.tenant_id != tenant.pk:
        raise ApplicationError("Paciente não encontrado.")
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(tenant=tenant, pk=patient.pk)
        existing = PatientErasure.objects.filter(tenant=tenant, patient=patient).first()
        if existing is not None:
            return ErasureResult(erasure=existing, already=True)
        counts: dict[str, int] = {}
        numbers = _numbers(tenant, patient)
        paths, raw_ids = _conversations(tenant, patient, numbers, counts)
        subject = ErasureSubject(
            tenant=tenant,
            patient_id=patient.pk,
            numbers=tuple(numbers),
            raw_ids=tuple(sorted(set(raw_ids))),
        )
        for name, hook in sorted(_hooks.items()):
            counts[name] = hook(subject)
        contact = {"tenant": tenant, "entity_type": EntityType.PATIENT, "entity_id": patient.pk}
        counts["telefones"] = ContactPhone.objects.filter(**contact).delete()[0]
        counts["emails"] = ContactEmail.objects.filter(**contact).delete()[0]
        counts["consultas"] = Appointment.objects.filter(tenant=tenant, patient=patient).update(
            notes=""
        )
        exports = PatientExport.objects.filter(tenant=tenant, patient=patient)
        paths += [p for p in exports.values_list("file_path", flat=True) if p]
        counts["exportacoes"] = exports.delete()[0]
        _personal_fields(patient)
        erasure = PatientErasure.objects.create(
            tenant=tenant,
            patient=patient,
            erased_by=actor if getattr(actor, "is_authenticated", False) else None,
            counts=counts,
            pending_files=paths,
        )
        audit_log_record(
            action="lgpd.erase", user=actor, tenant=tenant, obj=patient, ip=ip, details=counts
        )
        if paths:
            transaction.on_commit(
                lambda: erased_files_delete(erasure_id=erasure.pk, paths=paths), robust=True
            )
    return ErasureResult(erasure=erasure, already=False, counts=counts)


def erased_media_purge() -> int:
    """Retention of erased patients' media: files an erasure could not delete, and files a
    download still in flight stored on an erased conversation after the erasure. Returns how
    many files were deleted."""
    deleted = 0
    for erasure in PatientErasure.objects.only("id", "pending_files").iterator():
        if erasure.pending_files:
            deleted += erased_files_delete(erasure_id=erasure.pk, paths=erasure.pending_files)
    late = Message.objects.filter(thread_key__startswith=ANON_PREFIX).exclude(media_path="")
    for pk, path in list(late.values_list("pk", "media_path")):
        try:
            default_storage.delete(path)
        except OSError:
            continue
        Message.objects.filter(pk=pk).update(
            media_path="", media_filename="", media_ref={}, media_status=MediaStatus.NONE
        )
        deleted += 1
    return deleted
