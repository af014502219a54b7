"""Benchmark: the session-reminder job over 100,000 appointments, 10,000 of them due, on PostgreSQL.

Target: one run of `reminders_enqueue_due` claims and enqueues every due reminder in
under 5 seconds, and none twice. The data: 20 clinics with reminders on, 5,000 appointments each
spread over 60 days around "now" (some cancelled), of which exactly 10,000 in total start within
the next 24 hours (due: the 24 h window for those more than 2 hours away, the 2 h window for the
rest). Measured:

1. one run, timed (claim = one INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING per window,
   plus the send tasks it enqueues in the same transaction), then a second run that must claim 0;
2. "none twice": the claims and tasks are wiped and two processes run the job at the same moment
   over the same data; together they must claim exactly 10,000 reminders, each in one task.

    .venv/bin/python -m bench.reminders [--url postgres://postgres@127.0.0.1:5432/bench_reminders]
        [--clinics 20] [--per-clinic 5000] [--due 10000] [--keep]

The database in --url is created, migrated, and dropped at the end unless --keep is given.
"""

import argparse
import datetime as dt
import io
import multiprocessing
import os
import random
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_reminders"
NOW = dt.datetime(2026, 3, 11, 13, 0, tzinfo=dt.UTC)  # 10:00 in São Paulo
PATIENTS_PER_CLINIC = 200
PROFESSIONALS_PER_CLINIC = 8


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()


def _admin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.lstrip("/"), urlunsplit(parts._replace(path="/postgres"))


def database_create(url: str) -> None:
    import psycopg

    name, admin_url = _admin(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    import psycopg

    name, admin_url = _admin(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _appointments_copy(
    *, tenant_id: str, patients: list[int], professionals: list[int], count: int, due: int
) -> io.StringIO:
    """`due` appointments within the next 24 h, the rest from 30 days ago to 30 days ahead but
    never in the next 24 h; one in ten of those cancelled."""
    rng = random.Random(tenant_id)
    buf = io.StringIO()
    stamp = NOW.isoformat()
    for i in range(count):
        if i < due:
            starts = NOW + dt.timedelta(seconds=rng.randint(60, 24 * 3600))
            status = "scheduled" if i % 2 else "confirmed"
        else:
            hours = rng.choice((rng.uniform(-30 * 24, -1), rng.uniform(25, 30 * 24)))
            starts = NOW + dt.timedelta(hours=hours)
            status = "cancelled" if i % 10 == 0 else "scheduled"
        ends = starts + dt.timedelta(minutes=50)
        buf.write(
            f"{tenant_id}\t{rng.choice(professionals)}\t{rng.choice(patients)}\t"
            f"{starts.isoformat()}\t{ends.isoformat()}\t{status}\t\t{stamp}\t{stamp}\n"
        )
    buf.seek(0)
    return buf


def generate(*, clinics: int, per_clinic: int, due: int) -> None:
    from django.db import connection, transaction

    from clinicrm.automation.models import ReminderSettings
    from clinicrm.core.models import Tenant
    from clinicrm.people.models import Patient, Professional

    due_per_clinic = [due // clinics + (1 if c < due % clinics else 0) for c in range(clinics)]
    for c in range(clinics):
        with transaction.atomic():
            tenant = Tenant.objects.create(name=f"Bench Clínica {c + 1}", slug=f"bench-rem-{c}")
            ReminderSettings.objects.create(tenant=tenant, enabled_24h=True, enabled_2h=True)
            patients = Patient.objects.bulk_create(
                Patient(tenant=tenant, full_name=f"Paciente {i}")
                for i in range(PATIENTS_PER_CLINIC)
            )
            professionals = Professional.objects.bulk_create(
                Professional(tenant=tenant, full_name=f"Profissional {i}")
                for i in range(PROFESSIONALS_PER_CLINIC)
            )
            data = _appointments_copy(
                tenant_id=str(tenant.pk),
                patients=[p.pk for p in patients],
                professionals=[p.pk for p in professionals],
                count=per_clinic,
                due=due_per_clinic[c],
            )
            with (
                connection.cursor() as cur,
                cur.cursor.copy(
                    "COPY appointments (tenant_id, professional_id, patient_id, starts_at, ends_at,"
                    " status, notes, created_at, updated_at) FROM STDIN"
                ) as copy,
            ):
                copy.write(data.getvalue())
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE appointments")


def _reset() -> None:
    from django_tasks_db.models import DBTaskResult

    from clinicrm.automation.models import ReminderLog

    ReminderLog.objects.all().delete()
    DBTaskResult.objects.all().delete()


def _claims() -> tuple[int, int, int]:
    """(log rows, distinct (appointment, window, start), log ids across all send tasks)."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from clinicrm.automation.models import ReminderLog

    rows = ReminderLog.objects.count()
    distinct = (
        ReminderLog.objects.values("appointment_id", "window", "appointment_starts_at")
        .annotate(n=Count("id"))
        .count()
    )
    in_tasks: list[int] = []
    for task in DBTaskResult.objects.filter(task_path__endswith="reminders_send_batch_task"):
        in_tasks.extend(task.args_kwargs["kwargs"]["log_ids"])
    assert len(in_tasks) == len(set(in_tasks)), "a reminder is in two send tasks"
    return rows, distinct, len(in_tasks)


def racer(url: str, barrier: Any, out: Any) -> None:
    django_setup(url)
    from django.db import connection

    from clinicrm.automation.services import reminders_enqueue_due

    connection.ensure_connection()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    claimed = reminders_enqueue_due(now=NOW)
    out.put((claimed, time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--per-clinic", type=int, default=5000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    database_create(args.url)
    try:
        django_setup(args.url)
        from django.core.management import call_command

        from clinicrm.agenda.models import Appointment
        from clinicrm.automation.services import reminders_enqueue_due

        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        generate(clinics=args.clinics, per_clinic=args.per_clinic, due=args.due)
        total = Appointment.objects.count()
        took = time.perf_counter() - start
        print(f"data: {total:,} appointments, {args.due:,} due, in {took:.1f}s")

        start, cpu = time.perf_counter(), time.process_time()
        claimed = reminders_enqueue_due(now=NOW)
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        again = reminders_enqueue_due(now=NOW)
        rows, distinct, in_tasks = _claims()
        print(
            f"one run: claimed and enqueued {claimed:,} reminders in {elapsed:.2f}s "
            f"(python CPU {used:.2f}s; target < 5 s); a second run claimed {again}"
        )
        print(f"  log rows {rows:,}, distinct reminders {distinct:,}, in send tasks {in_tasks:,}")
        ok = claimed == rows == distinct == in_tasks == args.due and again == 0

        _reset()
        from django.db import connection

        connection.close()
        ctx = multiprocessing.get_context("spawn")
        barrier, out = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=racer, args=(args.url, barrier, out)) for _ in range(2)]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=300) for _ in procs]
        for proc in procs:
            proc.join()
        rows, distinct, in_tasks = _claims()
        both = sum(c for c, _ in results)
        print(
            "two schedulers at once: claimed "
            + " + ".join(f"{c:,} ({s:.2f}s)" for c, s in results)
            + f" = {both:,}; log rows {rows:,}, distinct {distinct:,}, in send tasks {in_tasks:,}"
        )
        ok = ok and both == rows == distinct == in_tasks == args.due
        print("none twice: " + ("yes" if ok else "NO"))
        if not ok:
            sys.exit(1)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(args.url)


if __name__ == "__main__":
    main()
