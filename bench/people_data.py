"""Data for the patient-list benchmark: 11 tenants x 50,000 patients on PostgreSQL, each patient
with a primary phone and a primary e-mail.

    .venv/bin/python -m bench.people_data [--url postgres://postgres@127.0.0.1:5432/bench_clinicrm]
        [--tenants 11] [--patients 50000]

The database in --url is created if missing and migrated. Earlier bench tenants (slug
`bench-people-*`) are deleted first, so the script can be re-run. Patients go in with COPY;
phones and e-mails with INSERT ... SELECT from the patients, all inside PostgreSQL.
"""

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_clinicrm"
SLUG_PREFIX = "bench-people-"
OWNER_PASSWORD = "bench-senha-123"  # local benchmark database only

_FIRST = (
    "Ana Maria João José Pedro Paulo Lucas Gabriel Rafael Mateus Juliana Fernanda Camila "
    "Beatriz Larissa Carla Patrícia Aline Bruna Letícia Rodrigo Bruno Felipe Gustavo Thiago "
    "Marcelo Ricardo Eduardo Vinícius Leonardo Mariana Amanda Jéssica Vanessa Renata Daniela "
    "Sabrina Priscila Tatiane Viviane Helena Alice Laura Valentina Sofia Isabela Heloísa Lorena "
    "Caio Davi Enzo Heitor Arthur Bernardo Samuel Benício Murilo Otávio Raimundo Francisca"
)
_LAST = (
    "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro "
    "Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento "
    "Andrade Moreira Nunes Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana "
    "Teixeira Araújo Cavalcanti Moura Monteiro Correia Batista Campos Prado Farias Pinto "
    "Bezerra Cunha Brito Medeiros Xavier Macedo Queiroz Barros Tavares Siqueira Fonseca"
)
FIRST = _FIRST.split()
LAST = _LAST.split()


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _cpf(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(9)]
    for size in (9, 10):
        total = sum(d * (size + 1 - i) for i, d in enumerate(digits[:size]))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def _patients_copy(tenant_id: str, count: int, rng: random.Random) -> io.StringIO:
    from clinicrm.core.search import search_text_of

    now = dt.datetime.now(dt.UTC).isoformat()
    buf = io.StringIO()
    for _ in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        cpf = _cpf(rng) if rng.random() < 0.6 else ""
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
        active = rng.random() >= 0.05
        archived = "\\N" if active else now
        buf.write(
            f"{tenant_id}\t{name}\t\t{cpf}\t{birth.isoformat()}\t\t{'t' if active else 'f'}"
            f"\t{archived}\t{now}\t{now}\t{search_text_of(name)}\n"
        )
    buf.seek(0)
    return buf


def generate(*, tenants: int, patients: int, seed: int = 7) -> list[str]:
    from django.db import connection, transaction

    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.people.models import ContactEmailType, ContactType

    rng = random.Random(seed)
    celular = ContactType.objects.get(tenant=None, code="celular").pk
    pessoal = ContactEmailType.objects.get(tenant=None, code="pessoal").pk
    Tenant.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    User.objects.filter(email__endswith="@bench-people.test").delete()
    slugs = []
    for t in range(tenants):
        start = time.perf_counter()
        with transaction.atomic():
            tenant = Tenant.objects.create(name=f"Bench Clínica {t + 1}", slug=f"{SLUG_PREFIX}{t}")
            user = User.objects.create_user(
                email=f"owner{t}@bench-people.test", password=OWNER_PASSWORD
            )
            Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
            with connection.cursor() as cur:
                raw = cur.cursor  # psycopg cursor: COPY is the fast path for 50,000 rows
                with raw.copy(
                    "COPY patients (tenant_id, full_name, social_name, cpf, birth_date, notes,"
                    " is_active, archived_at, created_at, updated_at, search_text) FROM STDIN"
                ) as copy:
                    copy.write(_patients_copy(str(tenant.pk), patients, rng).getvalue())
                cur.execute(
                    "INSERT INTO contact_phones (tenant_id, entity_type, entity_id, type_id,"
                    " number_e164, is_primary, whatsapp_linked, provider_raw_id, created_at,"
                    " updated_at)"
                    " SELECT tenant_id, 'patient', id, %s,"
                    " '+55' || (11 + id %% 80)::text || '9'"
                    " || lpad((id %% 100000000)::text, 8, '0'),"
                    " true, id %% 3 = 0, '', now(), now() FROM patients WHERE tenant_id = %s",
                    [celular, tenant.pk],
                )
                cur.execute(
                    "INSERT INTO contact_emails (tenant_id, entity_type, entity_id, type_id, email,"
                    " is_primary, created_at, updated_at)"
                    " SELECT tenant_id, 'patient', id, %s, 'paciente' || id || '@exemplo.com.br',"
                    " true, now(), now() FROM patients WHERE tenant_id = %s",
                    [pessoal, tenant.pk],
                )
        slugs.append(tenant.slug)
        print(
            f"tenant {t + 1}/{tenants}: {patients} patients in {time.perf_counter() - start:.1f}s"
        )
    # What autovacuum would do after a bulk load: stats and the visibility map (index-only scans).
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    previous = raw.autocommit
    raw.autocommit = True
    try:
        for table in ("patients", "contact_phones", "contact_emails"):
            raw.execute(f"VACUUM ANALYZE {table}")
    finally:
        raw.autocommit = previous
    return slugs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--tenants", type=int, default=11)
    parser.add_argument("--patients", type=int, default=50_000)
    args = parser.parse_args(argv)
    ensure_database(args.url)
    django_setup(args.url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    generate(tenants=args.tenants, patients=args.patients)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
