"""Data for the inbox and search benchmarks: 10 tenants, 200,000 threads and
1,000,000 messages on PostgreSQL, with the people, channels and CRM rows around them.

    .venv/bin/python -m bench.inbox_data [--url postgres://postgres@127.0.0.1:5432/bench_inbox]
        [--tenants 10] [--threads 200000] [--messages 1000000] [--patients 20000] [--seed 11]

The database in --url belongs to this benchmark: it is dropped, created and migrated. Per tenant
(slug `bench-inbox-<t>`): an owner `owner<t>@bench-inbox.test` and four staff members
(`staff<t>-<n>@...`, password below), five professionals, `--patients` patients with accented
names (70% of the threads are with one of them: the thread's number is that patient's WhatsApp
phone, and the thread is linked), one active channel (Evolution on even tenants, Twilio on odd
ones). Threads get a heavy-tailed number of messages (most a handful, some hundreds) over the
last ~14 months, with pt-BR texts (`inbox_texts.py`). All messages are inserted in time order,
interleaved across tenants as live traffic is, so each tenant's rows are spread over the table.
Thread rows carry the cache the ingest keeps (last message, preview, direction, unread count,
last inbound time). CRM rows: assignments (half the threads), tags (a third), statuses (a third).

Everything goes in with COPY and explicit ids; secondary indexes are dropped and triggers switched
off before the load, then indexes built again and triggers switched on (as a restore does);
then VACUUM ANALYZE.
"""

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.inbox_rows import DAY, message_counts
from bench.inbox_tables import SPAN_DAYS, Texts, messages_copy, people_copy, threads_copy
from bench.inbox_texts import PROFESSIONALS
from bench.people_data import LAST, django_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_inbox"
PASSWORD = "bench-senha-123"  # local benchmark database only
EMAIL_DOMAIN = "bench-inbox.test"
SLUG_PREFIX = "bench-inbox-"
STAFF_ROLES = ("admin", "secretary", "secretary", "professional")
SPECIALTIES = ("Psicologia", "Fonoaudiologia", "Terapia ocupacional", "Fisioterapia", "Nutrição")
LOADED_TABLES = ("patients", "contact_phones", "conversation_threads", "conversation_messages")


def ensure_fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Clinic:
    """One bench tenant and what the rows of its threads need."""

    def __init__(self, index: int, password_hash: str) -> None:
        from clinicrm.core.models import Membership, Role, Tenant, User
        from clinicrm.messaging.models import Channel, ChannelStatus, Provider
        from clinicrm.people.models import Professional

        self.index = index
        self.tenant = Tenant.objects.create(
            name=f"Clínica Bench {index + 1}", slug=f"{SLUG_PREFIX}{index}"
        )
        emails = [f"owner{index}@{EMAIL_DOMAIN}"]
        emails += [f"staff{index}-{n}@{EMAIL_DOMAIN}" for n in range(len(STAFF_ROLES))]
        users = User.objects.bulk_create(
            [User(email=e, password=password_hash, first_name=e.split("@")[0]) for e in emails]
        )
        roles = (Role.OWNER, *STAFF_ROLES)
        Membership.objects.bulk_create(
            [
                Membership(tenant=self.tenant, user=u, role=r)
                for u, r in zip(users, roles, strict=True)
            ]
        )
        self.user_ids = [str(u.pk) for u in users]
        for n, name in enumerate(PROFESSIONALS[index % 5 :: 2][:5]):
            Professional.objects.create(
                tenant=self.tenant,
                full_name=f"{name} {LAST[(index + n) % len(LAST)]}",
                specialty=SPECIALTIES[n % len(SPECIALTIES)],
            )
        twilio = index % 2 == 1
        self.channel = Channel(
            tenant=self.tenant,
            provider=Provider.TWILIO if twilio else Provider.EVOLUTION,
            display_name="WhatsApp da clínica",
            is_active=True,
            status=ChannelStatus.ACTIVE if twilio else ChannelStatus.OPEN,
            config={"sender": "+5511999990000"} if twilio else {"instance_name": f"bench{index}"},
        )
        self.channel.set_secrets({"auth_token": "bench"} if twilio else {"apikey": "bench"})
        self.channel.save()
        self.twilio = twilio
        self.thread_base = 0  # global index of this clinic's first thread (set by the loader)

    def raw_id(self, number: str) -> str:
        return f"whatsapp:{number}" if self.twilio else f"{number[1:]}@s.whatsapp.net"


def _crm_rows(clinics: list[Clinic]) -> None:
    """Assignments, tags and Kanban statuses, as the CRM would have them (skipped without it)."""
    from django.apps import apps
    from django.db import connection

    if not apps.is_installed("clinicrm.crm"):
        return
    from clinicrm.crm.services import tag_system_ensure

    with connection.cursor() as cur:
        for clinic in clinics:
            tag_system_ensure(tenant=clinic.tenant)
            users = clinic.user_ids[:3]  # owner, admin, a secretary take conversations
            params: dict[str, Any] = {"tenant": clinic.tenant.pk, "users": users}
            cur.execute(
                "INSERT INTO conversation_assignments (tenant_id, thread_id, assigned_to,"
                " assigned_at, assigned_by, updated_at)"
                " SELECT tenant_id, id, (%(users)s::uuid[])[1 + id %% 3], last_message_at,"
                " (%(users)s::uuid[])[1], last_message_at FROM conversation_threads"
                " WHERE tenant_id = %(tenant)s AND id %% 2 = 0",
                params,
            )
            cur.execute(
                "INSERT INTO conversation_thread_tags (tenant_id, thread_id, tag_id, created_at)"
                " SELECT t.tenant_id, t.id, g.id, t.last_message_at FROM conversation_threads t"
                " JOIN LATERAL (SELECT id FROM conversation_tags WHERE tenant_id = t.tenant_id"
                " ORDER BY id OFFSET t.id %% 5 LIMIT 1) g ON true"
                " WHERE t.tenant_id = %(tenant)s AND t.id %% 3 = 0",
                params,
            )
            cur.execute(
                "INSERT INTO conversation_statuses (tenant_id, thread_id, status, changed_at)"
                " SELECT tenant_id, id, (ARRAY['in_progress','waiting','done'])[1 + id %% 3],"
                " last_message_at - interval '1 hour' FROM conversation_threads"
                " WHERE tenant_id = %(tenant)s AND id %% 3 = 1",
                params,
            )
    print("crm: assignments, tags and statuses")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _secondary_indexes_dropped() -> list[str]:
    """Drop the non-unique indexes of the loaded tables and switch their triggers off (the CRM's
    patient-link triggers would look each row up in tables without their indexes; the loader
    links threads and patients itself); returns the index definitions."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname = ANY(%s) AND NOT x.indisunique",
            [list(LOADED_TABLES)],
        )
        found = cur.fetchall()
        for name, _definition in found:
            cur.execute(f'DROP INDEX "{name}"')
        for table in LOADED_TABLES:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    return [definition for _name, definition in found]


def _finish(definitions: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for table in LOADED_TABLES:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cur.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            start = time.perf_counter()
            cur.execute(definition)
            print(f"  {definition.split(' ON ')[0]}: {time.perf_counter() - start:.1f}s")
    # What autovacuum would do after a bulk load: statistics and the visibility map.
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    previous = raw.autocommit
    raw.autocommit = True
    try:
        raw.execute("VACUUM ANALYZE")
    finally:
        raw.autocommit = previous


def _step(label: str, run: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = run()
    print(f"{label}: {time.perf_counter() - start:.1f}s")
    return result


def load(*, tenants: int, threads: int, messages: int, patients: int, seed: int) -> None:
    """Fill the (migrated, empty) database; `threads` and `messages` are totals."""
    from django.contrib.auth.hashers import make_password

    rng = random.Random(seed)
    per_tenant = threads // tenants
    password_hash = make_password(PASSWORD)
    clinics = [Clinic(t, password_hash) for t in range(tenants)]
    for clinic in clinics:
        clinic.thread_base = clinic.index * per_tenant
    share = messages // tenants
    counts = [message_counts(rng, per_tenant, share) for _ in clinics]
    definitions = _step("drop secondary indexes", _secondary_indexes_dropped)
    linked = _step(
        "patients", lambda: people_copy(clinics, threads=per_tenant, patients=patients, rng=rng)
    )
    texts = _step("text pools", lambda: Texts(rng))
    state: list[list[Any]] = [
        [None, None, 0, 0, 0, 0, None, 0] for _ in range(len(clinics) * per_tenant)
    ]
    span_start = time.time() - SPAN_DAYS * DAY
    _step(
        "messages",
        lambda: messages_copy(
            clinics, counts=counts, span_start=span_start, rng=rng, texts=texts, state=state
        ),
    )
    _step(
        "threads",
        lambda: threads_copy(
            clinics, threads=per_tenant, linked=linked, state=state, texts=texts, rng=rng
        ),
    )
    _step("indexes, triggers and vacuum", lambda: _finish(definitions))
    _step("crm rows", lambda: _crm_rows(clinics))
    print(
        f"done: {tenants} tenants, {per_tenant * tenants} threads, {share * tenants} messages;"
        f" log in as owner0@{EMAIL_DOMAIN} / {PASSWORD}"
    )


def bench_owner_membership(url: str) -> Any:
    """Django set up on the bench database (migrated), and the measured clinic's owner
    membership (`owner0@`, with user and tenant); exits with a hint when there is no data."""
    django_setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from clinicrm.core.models import Membership

    membership = (
        Membership.objects.filter(user__email=f"owner0@{EMAIL_DOMAIN}")
        .select_related("user", "tenant")
        .first()
    )
    if membership is None:
        raise SystemExit("No bench data: run `python -m bench.inbox_data` first.")
    return membership


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--url", default=os.environ.get("BENCH_INBOX_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--threads", type=int, default=200_000, help="in all")
    parser.add_argument("--messages", type=int, default=1_000_000, help="in all")
    parser.add_argument("--patients", type=int, default=20_000, help="per tenant")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.messages < args.threads or args.patients < args.threads // args.tenants:
        raise SystemExit("Need --messages >= --threads and --patients >= threads per tenant.")
    start = time.perf_counter()
    ensure_fresh_database(args.url)
    django_setup(args.url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    load(
        tenants=args.tenants,
        threads=args.threads,
        messages=args.messages,
        patients=args.patients,
        seed=args.seed,
    )
    print(f"total: {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
