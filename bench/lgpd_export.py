"""Time of an LGPD export of one patient with a long history (target: under 10 s per format).

    .venv/bin/python -m bench.lgpd_export [--url postgres://postgres@127.0.0.1:5432/bench_lgpd]
        [--messages 20000] [--keep]

Creates and migrates its own PostgreSQL database (dropped at the end unless --keep), then builds
one clinic where the measured patient has two phones, an e-mail, 200 appointments, one
conversation per phone with `--messages` messages between them (texts from the inbox bench's
generator, one in 20 with a media file, so the export signs a media link for each), notes,
an opt-out, an intake submission and 2,000 audit rows about them; a namesake in a second clinic
with the same phone gets 5,000 messages that must stay out. Then it times, per format, what
the export task does (`patient_export_build`: collect, render, store) and prints rows per kind,
seconds and file size. Files go to a temporary directory, removed at the end.
"""

import argparse
import datetime as dt
import os
import random
import shutil
import tempfile
import time

from bench.inbox_texts import text_pool
from bench.people_data import FIRST
from bench.reminders import database_create, database_drop, django_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_lgpd"
TARGET_S = 10.0
PHONES = ("+5511988887777", "+5511977776666")


def _clinic(name: str, slug: str):
    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.messaging.models import Channel, ChannelStatus, Provider

    tenant = Tenant.objects.create(name=name, slug=slug)
    owner = User.objects.create_user(email=f"dona@{slug}.test", password=None)
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    channel = Channel(
        tenant=tenant,
        provider=Provider.EVOLUTION,
        display_name="Canal",
        is_active=True,
        status=ChannelStatus.OPEN,
        config={"instance_name": f"bench-{slug}"},
    )
    channel.set_secrets({"apikey": "bench"})
    channel.save()
    return tenant, owner, channel


def _messages(tenant, channel, key: str, count: int, rng: random.Random) -> None:
    from clinicrm.messaging.models import Direction, MediaStatus, Message

    texts = {
        True: text_pool(rng, size=500, inbound=True, first_names=FIRST),
        False: text_pool(rng, size=500, inbound=False, first_names=FIRST),
    }
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=730)
    rows = []
    for i in range(count):
        inbound = rng.random() < 0.55
        media = i % 20 == 0
        rows.append(
            Message(
                tenant=tenant,
                channel=channel,
                thread_key=key,
                direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                from_me=not inbound,
                kind="image" if media else "text",
                body=rng.choice(texts[inbound]),
                status="read",
                provider_message_id=f"{tenant.slug}-{key}-{i}",
                provider_timestamp=start + dt.timedelta(minutes=i * 50),
                media_status=MediaStatus.STORED if media else MediaStatus.NONE,
                media_path=f"{tenant.pk}/2025/01/bench-{i}.jpg" if media else "",
                media_mime="image/jpeg" if media else "",
                media_size=120_000 if media else None,
            )
        )
    Message.objects.bulk_create(rows, batch_size=2000)


def _build(messages: int, rng: random.Random):
    from django.utils import timezone

    from clinicrm.agenda.models import Appointment
    from clinicrm.automation.models import OptOut
    from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission
    from clinicrm.core.models import AuditLog
    from clinicrm.crm.models import Note
    from clinicrm.messaging.models import Thread
    from clinicrm.people.models import Patient, Professional
    from clinicrm.people.services import contact_email_add, contact_phone_add

    tenant, owner, channel = _clinic("Clínica Bench Export", "bench-export")
    patient = Patient.objects.create(tenant=tenant, full_name="Maria Souza", cpf="52998224725")
    for number in PHONES:
        contact_phone_add(entity=patient, actor=None, number=number, whatsapp_linked=True)
    contact_email_add(entity=patient, actor=None, email="maria@exemplo.com.br")
    professional = Professional.objects.create(tenant=tenant, full_name="Dra. Helena")
    first = timezone.now() - dt.timedelta(days=700)
    Appointment.objects.bulk_create(
        Appointment(
            tenant=tenant,
            patient=patient,
            professional=professional,
            starts_at=first + dt.timedelta(days=3 * i),
            ends_at=first + dt.timedelta(days=3 * i, minutes=50),
        )
        for i in range(200)
    )
    for n, number in enumerate(PHONES):
        thread = Thread.objects.create(tenant=tenant, thread_key=number, patient=patient)
        _messages(tenant, channel, number, messages // 2 + (messages % 2 if n == 0 else 0), rng)
        Note.objects.bulk_create(
            Note(tenant=tenant, thread=thread, author=owner, body=f"Nota {i}") for i in range(50)
        )
    OptOut.objects.create(
        tenant=tenant,
        thread_key=PHONES[0],
        opted_out_at=timezone.now(),
        source="keyword",
        keyword="PARE",
    )
    invite = IntakeInvite.objects.create(
        tenant=tenant, expires_at=timezone.now() + dt.timedelta(days=7)
    )
    IntakeSubmission.objects.create(
        tenant=tenant,
        invite=invite,
        patient=patient,
        full_name=patient.full_name,
        cpf=patient.cpf,
        birth_date=dt.date(1990, 1, 1),
        phone_e164=PHONES[0],
        consent_terms_version="bench",
        consented_at=timezone.now(),
    )
    AuditLog.objects.bulk_create(
        AuditLog(
            tenant=tenant,
            user=owner,
            action="patient.view",
            object_type="patient",
            object_id=str(patient.pk),
        )
        for _ in range(2000)
    )
    other, _, other_channel = _clinic("Clínica Vizinha", "bench-export-other")
    Patient.objects.create(tenant=other, full_name="Maria Souza", cpf="52998224725")
    _messages(other, other_channel, PHONES[0], 5000, rng)
    return tenant, owner, patient


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="LGPD export benchmark")
    parser.add_argument("--url", default=os.environ.get("BENCH_LGPD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    media_root = tempfile.mkdtemp(prefix="bench-lgpd-")
    os.environ["PRIVATE_MEDIA_ROOT"] = media_root
    database_create(args.url)
    django_setup(args.url)
    try:
        _run(args.messages)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(media_root, ignore_errors=True)
        if not args.keep:
            database_drop(args.url)


def _run(messages: int) -> None:
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from clinicrm.compliance.lgpd.services import patient_export_build
    from clinicrm.compliance.models import ExportFormat, PatientExport

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    tenant, owner, patient = _build(messages, random.Random(11))
    print(f"built the patient's history in {time.perf_counter() - started:.1f} s")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    worst = 0.0
    counts: dict[str, int] = {}
    for fmt in ExportFormat.values:
        export = PatientExport.objects.create(
            tenant=tenant, patient=patient, requested_by=owner, format=fmt
        )
        start, start_cpu = time.perf_counter(), time.process_time()
        built = patient_export_build(export_id=str(export.pk))
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert built is not None and built.status == "ready", fmt
        size = default_storage.size(built.file_path)
        counts = built.counts
        worst = max(worst, seconds)
        print(
            f"{fmt:<5} {seconds:6.2f} s (cpu {cpu:5.2f} s)  {size / 1e6:6.1f} MB  "
            f"messages={built.counts['mensagens']} rows={sum(built.counts.values())}"
        )
    print(f"rows per kind: {counts}")
    print(f"worst {worst:.2f} s (target < {TARGET_S:.0f} s)")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
