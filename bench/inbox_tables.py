"""The big tables of the inbox benchmark, streamed in with COPY: patients and their phones,
messages (in time order across tenants) and the threads' cache rows built from them."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bench.inbox_rows import (
    DAY,
    KINDS,
    MEDIA,
    CopyRows,
    copy_escape,
    phone_number,
    thread_messages,
    timestamp,
    unpack,
)
from bench.inbox_texts import text_pool
from bench.people_data import FIRST, LAST, _cpf

if TYPE_CHECKING:
    from bench.inbox_data import Clinic

SPAN_DAYS = 430
POOL_SIZE = 40_000
# Share of a clinic's threads whose number is a patient's WhatsApp phone (linked threads).
LINKED_SHARE = 0.7
CHUNK = 20_000
# The columns each COPY fills (in this order); the others get their field's default.
PATIENT_COLUMNS = "id tenant full_name social_name cpf is_active created_at updated_at search_text"
PHONE_COLUMNS = (
    "tenant entity_type entity_id contact_type number_e164 is_primary whatsapp_linked"
    " created_at updated_at"
)
MESSAGE_COLUMNS = (
    "id tenant channel thread_key contact_raw_id direction from_me provider_message_id kind body"
    " search_text media_status media_path media_mime media_size media_filename status"
    " provider_timestamp created_at updated_at sent_by credit_charged"
)
THREAD_COLUMNS = (
    "tenant thread_key contact_raw_id contact_name patient last_message_at last_message_preview"
    " last_direction last_message_id unread_count last_inbound_at created_at updated_at"
    " search_text"
)


def copy_in(rows: CopyRows, lines: Iterable[str]) -> int:
    """Stream `lines` into `rows.table` with COPY, in chunks; returns the row count."""
    from django.db import connection

    count, chunk = 0, []
    with connection.cursor() as cur, cur.cursor.copy(rows.sql) as copy:
        for line in lines:
            chunk.append(line)
            if len(chunk) == CHUNK:
                copy.write("".join(chunk))
                count, chunk = count + len(chunk), []
        copy.write("".join(chunk))
    return count + len(chunk)


def people_copy(clinics: list[Clinic], *, threads: int, patients: int, rng: random.Random) -> dict:
    """Patients (COPY) and their WhatsApp phones; returns {(clinic, thread): (patient id, name)}
    for the linked threads."""
    from clinicrm.core.search import search_text_of
    from clinicrm.people.models import ContactPhone, ContactType, Patient

    celular = str(ContactType.objects.get(tenant=None, code="celular").pk)
    now = timestamp(time.time())
    linked: dict[tuple[int, int], tuple[int, str]] = {}
    patient_rows = CopyRows(Patient, PATIENT_COLUMNS.split())
    phone_rows = CopyRows(ContactPhone, PHONE_COLUMNS.split())
    phones: list[str] = []

    def patient_lines() -> Iterable[str]:
        pid = 0
        for clinic in clinics:
            tid = str(clinic.tenant.pk)
            n_linked = int(threads * LINKED_SHARE)
            for j in range(patients):
                pid += 1
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
                social = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.03 else ""
                cpf = _cpf(rng) if rng.random() < 0.6 else ""
                values = (
                    str(pid),
                    tid,
                    name,
                    social,
                    cpf,
                    "t",
                    now,
                    now,
                    copy_escape(search_text_of(name, social)),
                )
                yield patient_rows.line(values)
                # Patient j < n_linked writes from thread j's number; the others from their own.
                number = phone_number(j if j < n_linked else threads + j)
                whatsapp = "t" if j < n_linked else ("t" if rng.random() < 0.5 else "f")
                phones.append(
                    phone_rows.line(
                        (tid, "patient", str(pid), celular, number, "t", whatsapp, now, now)
                    )
                )
                if j < n_linked:
                    linked[(clinic.index, j)] = (pid, name)

    count = copy_in(patient_rows, patient_lines())
    copy_in(phone_rows, phones)
    print(f"patients: {count} with phones")
    return linked


def _contact_name(rng: random.Random, patient_name: str | None) -> str:
    """The WhatsApp profile name the provider reports: often just a first name."""
    roll = rng.random()
    if roll < 0.12:
        return ""
    if patient_name and roll < 0.8:
        parts = patient_name.split()
        return parts[0] if roll < 0.5 else f"{parts[0]} {parts[-1]}"
    return rng.choice(
        (
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            rng.choice(FIRST),
            f"Mãe do {rng.choice(FIRST)}",
            "❤️ " + rng.choice(FIRST),
        )
    )


class Texts:
    """Pools of message texts per direction, with their folded search text and previews."""

    def __init__(self, rng: random.Random) -> None:
        from clinicrm.core.search import search_text_of

        first = [n for n in FIRST if len(n) > 3]
        self.raw = {
            1: text_pool(rng, size=POOL_SIZE, inbound=True, first_names=first),
            0: text_pool(rng, size=POOL_SIZE, inbound=False, first_names=first),
        }
        self.body = {d: [copy_escape(t) for t in pool] for d, pool in self.raw.items()}
        self.search = {
            d: [copy_escape(search_text_of(t)) for t in pool] for d, pool in self.raw.items()
        }
        self._previews: dict[tuple[int, int, int], str] = {}

    def body_of(self, inbound: int, kind: int, text: int) -> tuple[str, str]:
        """(body, search_text) as COPY text: media carry a caption one time in three."""
        if kind and text % 3:
            return "", ""
        return self.body[inbound][text], self.search[inbound][text]

    def preview(self, inbound: int, kind: int, text: int) -> str:
        key = (inbound, kind, text)
        if key not in self._previews:
            from clinicrm.messaging.models import Message
            from clinicrm.messaging.services.threads import message_preview

            body = "" if kind and text % 3 else self.raw[inbound][text]
            self._previews[key] = copy_escape(message_preview(Message(kind=KINDS[kind], body=body)))
        return self._previews[key]


def messages_copy(
    clinics: list[Clinic],
    *,
    counts: list[list[int]],
    span_start: float,
    rng: random.Random,
    texts: Texts,
    state: list[list[Any]],
) -> int:
    """Every message, in time order across tenants (COPY); fills `state` per global thread:
    [first ts, last ts, last id, last inbound, last kind, last text, last inbound ts, trailing
    inbound count]."""
    from clinicrm.messaging.models import Message

    span = SPAN_DAYS * DAY
    packed: list[int] = []
    for clinic, per_thread in zip(clinics, counts, strict=True):
        for j, count in enumerate(per_thread):
            packed += thread_messages(
                rng, count=count, tenant=clinic.index, thread=j, span=span, pool=POOL_SIZE
            )
    packed.sort()
    print(f"messages: {len(packed)} generated and ordered")
    rows = CopyRows(Message, MESSAGE_COLUMNS.split())
    statuses = (("read", 0.6), ("delivered", 0.3), ("sent", 0.08), ("failed", 0.02))
    status_names = [s for s, _ in statuses]
    status_weights = [w for _, w in statuses]
    per_clinic = [(str(c.tenant.pk), str(c.channel.pk), c) for c in clinics]

    def lines() -> Iterable[str]:
        for mid, key in enumerate(packed, start=1):
            ts, t, j, inbound, kind, text = unpack(key)
            tid, channel_id, clinic = per_clinic[t]
            st = state[clinic.thread_base + j]
            epoch = span_start + ts
            if st[0] is None:
                st[0] = epoch
            st[1:6] = [epoch, mid, inbound, kind, text]
            if inbound:
                st[6] = epoch
                st[7] += 1
            else:
                st[7] = 0
            number = phone_number(j)
            body, search = texts.body_of(inbound, kind, text)
            name = KINDS[kind]
            mime, filename, size = MEDIA.get(name, ("", "", None))
            path = f"{tid}/bench/{mid}" if kind else ""
            status = "delivered" if inbound else rng.choices(status_names, status_weights)[0]
            sent_by = "\\N" if inbound or rng.random() < 0.3 else rng.choice(clinic.user_ids)
            pmid = f"SM{mid:032x}" if clinic.twilio else f"3EB0{mid:016X}"
            at = timestamp(epoch)
            yield rows.line(
                (
                    str(mid),
                    tid,
                    channel_id,
                    number,
                    clinic.raw_id(number),
                    "in" if inbound else "out",
                    "f" if inbound else "t",
                    pmid,
                    name,
                    body,
                    search,
                    "stored" if kind else "none",
                    path,
                    mime,
                    "\\N" if size is None else str(size),
                    filename,
                    status,
                    at,
                    at,
                    at,
                    sent_by,
                    "t" if clinic.twilio and not inbound else "f",
                )
            )

    return copy_in(rows, lines())


def threads_copy(
    clinics: list[Clinic],
    *,
    threads: int,
    linked: dict,
    state: list[list[Any]],
    texts: Texts,
    rng: random.Random,
) -> int:
    from clinicrm.core.search import search_text_of
    from clinicrm.messaging.models import Thread

    rows = CopyRows(Thread, THREAD_COLUMNS.split())

    def lines() -> Iterable[str]:
        for clinic in clinics:
            tid = str(clinic.tenant.pk)
            for j in range(threads):
                first, last, last_id, inbound, kind, text, last_in, trailing = state[
                    clinic.thread_base + j
                ]
                number = phone_number(j)
                patient_id, patient_name = linked.get((clinic.index, j), (None, None))
                contact = _contact_name(rng, patient_name)
                unread = trailing if inbound and rng.random() < 0.5 else 0
                yield rows.line(
                    (
                        tid,
                        number,
                        clinic.raw_id(number),
                        copy_escape(contact),
                        "\\N" if patient_id is None else str(patient_id),
                        timestamp(last),
                        texts.preview(inbound, kind, text),
                        "in" if inbound else "out",
                        str(last_id),
                        str(unread),
                        "\\N" if last_in is None else timestamp(last_in),
                        timestamp(first),
                        timestamp(last),
                        copy_escape(search_text_of(contact, number)),
                    )
                )

    return copy_in(rows, lines())
