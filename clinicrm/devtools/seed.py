"""Demo data for `bin/run`: two tenants, their team, 30 patients each and a week of agenda.

Idempotent: every object is looked up by a natural key first (tenant slug, user e-mail,
professional's login, patient name, "has rules", "has appointments this week", package name,
"has ledger rows"), so running it again changes nothing. Writes go through the services, so
the demo rows obey the same invariants as rows typed in the UI (canonical E.164 phones, one
primary phone/e-mail per person, no overlapping appointments, audit rows). Randomness is seeded,
so two machines get the same clinic.
"""

import datetime as dt
import random
import secrets
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone

from clinicrm.agenda.models import Appointment, AvailabilityRule
from clinicrm.agenda.models import AppointmentStatus as S
from clinicrm.agenda.services import appointment_create, availability_rule_create
from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.services import membership_create, tenant_create
from clinicrm.core.timeutils import local_datetime, local_today
from clinicrm.devtools.fake_twilio import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SENDER
from clinicrm.devtools.seed_automation import automation_seed
from clinicrm.devtools.seed_conversations import conversations_seed
from clinicrm.devtools.seed_data import DEMO_PASSWORD, FIRST_NAMES, SURNAMES, SeedReport
from clinicrm.messaging.models import Channel, Thread
from clinicrm.people.documents import cpf_cnpj_validate
from clinicrm.people.models import ContactType, Patient, Professional
from clinicrm.people.services import (
    contact_email_add,
    contact_phone_add,
    patient_create,
    professional_create,
)

STAFF_EMAIL = "staff@clinicrm.demo"
PATIENTS_PER_TENANT = 30


@dataclass(frozen=True)
class MemberSpec:
    local_part: str
    role: str
    first_name: str
    last_name: str
    # Members with a specialty see patients and get a professional profile (a solo owner too).
    specialty: str = ""
    council: str = ""


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    cpf_cnpj: str
    domain: str
    area_codes: tuple[str, ...]
    members: tuple[MemberSpec, ...]
    starting_credits: int


TENANTS: tuple[TenantSpec, ...] = (
    TenantSpec(
        slug="bem-estar",
        name="Clínica Bem-Estar",
        cpf_cnpj="11.222.333/0001-81",
        domain="bemestar.demo",
        area_codes=("11", "11", "11", "19", "13"),
        starting_credits=250,
        members=(
            MemberSpec("dona", Role.OWNER, "Helena", "Duarte"),
            MemberSpec("admin", Role.ADMIN, "Carlos", "Menezes"),
            MemberSpec(
                "rafael", Role.PROFESSIONAL, "Rafael", "Souza", "Psicologia", "CRP 06/123456"
            ),
            MemberSpec(
                "marina", Role.PROFESSIONAL, "Marina", "Castro", "Fonoaudiologia", "CRFa 2-14567"
            ),
            MemberSpec("recepcao", Role.SECRETARY, "Juliana", "Pereira"),
        ),
    ),
    TenantSpec(
        slug="dra-ana-lima",
        name="Consultório Dra. Ana Lima",
        cpf_cnpj="529.982.247-25",
        domain="analima.demo",
        area_codes=("21", "21", "21", "24"),
        starting_credits=40,
        members=(
            MemberSpec("ana", Role.OWNER, "Ana", "Lima", "Psicologia", "CRP 05/112233"),
            MemberSpec("admin", Role.ADMIN, "Roberto", "Lima"),
            MemberSpec(
                "bruno", Role.PROFESSIONAL, "Bruno", "Azevedo", "Psicologia", "CRP 05/654321"
            ),
            MemberSpec("carla", Role.PROFESSIONAL, "Carla", "Nogueira", "Nutrição", "CRN 4-98765"),
            MemberSpec("secretaria", Role.SECRETARY, "Patrícia", "Gomes"),
        ),
    ),
)

EMAIL_DOMAINS = ("exemplo.com.br", "correio.demo", "mail.demo")

# Weekly blocks (weekday, start, end) per professional, by position in the tenant.
RULE_TEMPLATES: tuple[tuple[tuple[int, str, str], ...], ...] = (
    tuple((wd, s, e) for wd in range(5) for s, e in (("08:00", "12:00"), ("14:00", "18:00"))),
    (*((wd, "09:00", "17:00") for wd in (0, 2, 4)), (5, "08:00", "12:00")),
    tuple((wd, "13:00", "19:00") for wd in (1, 3)),
)

CREDIT_PACKAGES = (
    # name, credits, price, featured, position, description (what the name does not say)
    ("100 créditos", 100, Decimal("29.90"), False, 10, "Para experimentar o WhatsApp Oficial."),
    ("500 créditos", 500, Decimal("119.90"), True, 20, "O mais escolhido por clínicas pequenas."),
    ("1000 créditos", 1000, Decimal("199.90"), False, 30, "Para clínicas com muitos pacientes."),
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _cpf(rng: random.Random) -> str:
    """A CPF with valid check digits (never a real person's on purpose: random base)."""
    base = [rng.randint(0, 9) for _ in range(9)]
    for weights_from in (10, 11):
        total = sum(n * w for n, w in zip(base, range(weights_from, 1, -1), strict=False))
        rest = total % 11
        base.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, base))


def _mobile(rng: random.Random, area_code: str) -> str:
    # Written the way a receptionist types it; the service canonicalises to E.164.
    return f"({area_code}) 9{rng.randint(6000, 9999)}-{rng.randint(0, 9999):04d}"


def _user(email: str, first: str, last: str, *, staff: bool, report: SeedReport) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, is_staff=staff
        )
        report.count("users")
    return user


def _tenant(spec: TenantSpec, report: SeedReport) -> Tenant:
    tenant = Tenant.objects.filter(slug=spec.slug).first()
    if tenant is None:
        tenant = tenant_create(
            name=spec.name, slug=spec.slug, cpf_cnpj=cpf_cnpj_validate(spec.cpf_cnpj)
        )
        report.count("tenants")
    return tenant


def _team(spec: TenantSpec, tenant: Tenant, report: SeedReport) -> tuple[User, list[Professional]]:
    owner: User | None = None
    professionals: list[Professional] = []
    for m in spec.members:
        email = f"{m.local_part}@{spec.domain}"
        user = _user(email, m.first_name, m.last_name, staff=False, report=report)
        if not Membership.objects.filter(tenant=tenant, user=user).exists():
            membership_create(tenant=tenant, user=user, role=m.role, actor=owner)
            report.count("memberships")
        report.logins.append((spec.name, Role(m.role).label, email))
        if m.role == Role.OWNER:
            owner = user
        if m.specialty:
            prof = Professional.objects.filter(tenant=tenant, user=user).first()
            if prof is None:
                prof = professional_create(
                    tenant=tenant,
                    actor=owner,
                    full_name=f"{m.first_name} {m.last_name}",
                    specialty=m.specialty,
                    council_registration=m.council,
                    session_minutes=50,
                    user=user,
                )
                report.count("professionals")
            professionals.append(prof)
    assert owner is not None, "every demo tenant has an owner"
    return owner, professionals


def _patients(spec: TenantSpec, tenant: Tenant, owner: User, report: SeedReport) -> list[Patient]:
    rng = random.Random(f"patients:{spec.slug}")
    landline = ContactType.objects.get(tenant=None, code="residencial")
    names: list[str] = []
    while len(names) < PATIENTS_PER_TENANT:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        if name not in names and name.split()[1] != name.split()[2]:
            names.append(name)
    patients: list[Patient] = []
    for i, name in enumerate(names):
        # Draw every random value even for existing patients, so later ones stay identical.
        cpf = _cpf(rng) if i % 3 != 2 else ""
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 58))
        area = rng.choice(spec.area_codes)
        mobile = _mobile(rng, area)
        second = rng.random() < 0.3
        second_is_landline = rng.random() < 0.5
        landline_number = f"({area}) 3{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
        second_mobile = _mobile(rng, area)
        has_email = rng.random() < 0.85
        first, *_, last = _ascii(name).split()
        email = f"{first}.{last}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
        whatsapp = rng.random() < 0.85

        patient = Patient.objects.filter(tenant=tenant, full_name=name).first()
        if patient is not None:
            patients.append(patient)
            continue
        patient = patient_create(
            tenant=tenant, actor=owner, full_name=name, cpf=cpf, birth_date=birth
        )
        report.count("patients")
        contact_phone_add(entity=patient, actor=owner, number=mobile, whatsapp_linked=whatsapp)
        report.count("phones")
        if second:
            contact_phone_add(
                entity=patient,
                actor=owner,
                number=landline_number if second_is_landline else second_mobile,
                contact_type=landline if second_is_landline else None,
            )
            report.count("phones")
        if has_email:
            contact_email_add(entity=patient, actor=owner, email=email)
            report.count("emails")
        patients.append(patient)
    return patients


def _rules(
    tenant: Tenant, owner: User, professionals: list[Professional], report: SeedReport
) -> None:
    for index, prof in enumerate(professionals):
        if AvailabilityRule.objects.filter(tenant=tenant, professional=prof).exists():
            continue
        for weekday, start, end in RULE_TEMPLATES[index % len(RULE_TEMPLATES)]:
            availability_rule_create(
                tenant=tenant,
                actor=owner,
                professional_id=prof.pk,
                weekday=weekday,
                start_time=dt.time.fromisoformat(start),
                end_time=dt.time.fromisoformat(end),
            )
            report.count("availability_rules")


def _demo_weeks() -> list[dt.date]:
    """Mondays to fill: this week, plus next week on a weekend so the demo has a future."""
    today = local_today()
    monday = today - dt.timedelta(days=today.weekday())
    return [monday, monday + dt.timedelta(days=7)] if today.weekday() >= 5 else [monday]


def _appointments(
    spec: TenantSpec,
    tenant: Tenant,
    owner: User,
    professionals: list[Professional],
    patients: list[Patient],
    report: SeedReport,
) -> None:
    for monday in _demo_weeks():
        week_start = local_datetime(monday, dt.time(0, 0))
        week_end = local_datetime(monday + dt.timedelta(days=7), dt.time(0, 0))
        if Appointment.objects.filter(
            tenant=tenant, starts_at__gte=week_start, starts_at__lt=week_end
        ).exists():
            continue
        rng = random.Random(f"agenda:{spec.slug}:{monday.isoformat()}")
        for prof in professionals:
            _professional_week(tenant, owner, prof, patients, monday, rng, report)


def _professional_week(
    tenant: Tenant,
    owner: User,
    prof: Professional,
    patients: list[Patient],
    monday: dt.date,
    rng: random.Random,
    report: SeedReport,
) -> None:
    now = timezone.now()
    rules = AvailabilityRule.objects.filter(tenant=tenant, professional=prof, is_active=True)
    session = dt.timedelta(minutes=prof.session_minutes)
    for rule in rules:
        day = monday + dt.timedelta(days=rule.weekday)
        start = local_datetime(day, rule.start_time)
        block_end = local_datetime(day, rule.end_time)
        while start + session <= block_end:
            end = start + session
            if rng.random() < 0.45:  # leave free slots: a full agenda looks fake
                roll = rng.random()
                if end <= now:
                    status = S.ATTENDED if roll < 0.8 else S.NO_SHOW
                elif start > now:
                    status = S.CONFIRMED if roll < 0.5 else S.SCHEDULED
                else:
                    status = S.CONFIRMED  # in progress right now
                appointment_create(
                    tenant=tenant,
                    actor=owner,
                    professional_id=prof.pk,
                    patient_id=rng.choice(patients).pk,
                    starts_at=start,
                    ends_at=end,
                    status=status,
                    # Random demo data may fall on a holiday or double-book a patient.
                    warnings_confirmed=True,
                )
                report.count("appointments")
            start = end + dt.timedelta(minutes=10)


def _credits(tenant: Tenant, spec: TenantSpec, staff: User, report: SeedReport) -> None:
    """Packages and a starting balance, when the credits app has its models (guarded)."""
    try:
        from clinicrm.credits.models import CreditPackage, CreditTransaction, TransactionKind
        from clinicrm.credits.services import credits_add
    except ImportError:
        return
    for name, amount, price, featured, position, description in CREDIT_PACKAGES:
        if not CreditPackage.objects.filter(name=name).exists():
            CreditPackage.objects.create(
                name=name,
                description=description,
                credits=amount,
                price_brl=price,
                is_featured=featured,
                position=position,
            )
            report.count("credit_packages")
    if not CreditTransaction.objects.filter(tenant=tenant).exists():
        credits_add(
            tenant=tenant,
            amount=spec.starting_credits,
            kind=TransactionKind.TOPUP_MANUAL,
            admin=staff,
            note="Saldo inicial da demonstração",
        )
        report.count("credit_topups")


# --- WhatsApp channels ----------------------------------------------------------------------
# One active channel per demo tenant, served by the local fakes that run_demo starts.
DEMO_CHANNELS = {"bem-estar": "evolution", "dra-ana-lima": "twilio"}
DEMO_EVOLUTION_INSTANCE = "clinicrm-bem-estar"
DEMO_EVOLUTION_NUMBER = "5511999990001"  # the "clinic phone" the fake pairs with
DEMO_TEMPLATE_SID = "HX" + "d" * 32


@dataclass(frozen=True)
class DemoTwilioAccount:
    """Test credentials of the fake Twilio, printed with the demo logins so a clinic can switch
    its channel to "Oficial" (and back) from the set-up page."""

    account_sid: str
    auth_token: str
    sender: str


DEMO_TWILIO_ACCOUNTS = {
    "dra-ana-lima": DemoTwilioAccount(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SENDER),
    # Any well-formed account is accepted by the demo's fake (--accept-any).
    "bem-estar": DemoTwilioAccount(
        "AC" + "be57a200" * 4, "demo0bemestar0twilio0auth0token00", "+5511999990003"
    ),
}


def _channel(spec: TenantSpec, tenant: Tenant, report: SeedReport) -> None:
    """Written directly, not through the set-up services: those verify against a provider, and
    no fake is running while the seed runs. `demo_channels_provision` completes them at start."""
    from clinicrm.messaging.models import ChannelStatus

    provider = DEMO_CHANNELS.get(spec.slug)
    if provider is None or Channel.objects.filter(tenant=tenant).exists():
        return
    channel = Channel(tenant=tenant, provider=provider, is_active=True)
    if provider == "evolution":
        channel.display_name = "WhatsApp pessoal"
        channel.status = ChannelStatus.DISCONNECTED
        channel.config = {"instance_name": DEMO_EVOLUTION_INSTANCE}
        channel.set_secrets({"apikey": secrets.token_hex(24).upper()})
    else:
        channel.display_name = "WhatsApp oficial"
        channel.status = ChannelStatus.ACTIVE
        channel.config = {
            "account_sid": DEMO_ACCOUNT_SID,
            "sender": DEMO_SENDER,
            "templates": [
                {
                    "name": "Lembrete de sessão",
                    "content_sid": DEMO_TEMPLATE_SID,
                    "variables": ["nome do paciente", "data e hora"],
                }
            ],
        }
        channel.set_secrets({"auth_token": DEMO_AUTH_TOKEN})
    channel.save()
    report.count("channels")


def demo_channels_provision(*, public_url: str, fake_urls: dict[str, str]) -> list[str]:
    """The fakes start empty on every run: (re)create the demo Evolution instance through the
    real set-up service (new key, webhook at `public_url`) and pair it, and tell the fake Twilio
    where the demo account's inbound messages go. Returns pt-BR lines for the console."""
    import httpx
    from django.test.utils import override_settings

    from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY
    from clinicrm.integrations.evolution.channels import (
        evolution_channel_qr,
        evolution_channel_setup,
        evolution_channel_state,
    )
    from clinicrm.integrations.twilio.channels import twilio_webhook_urls
    from clinicrm.messaging.models import Channel, ChannelStatus, Provider

    lines: list[str] = []
    evo_url, twilio_url = fake_urls.get("fake_evolution"), fake_urls.get("fake_twilio")
    env = {"PUBLIC_BASE_URL": public_url, "EVOLUTION_API_KEY": GLOBAL_APIKEY}
    if evo_url:
        env["EVOLUTION_BASE_URL"] = evo_url
    with override_settings(**env):
        channels = Channel.objects.select_related("tenant").filter(tenant__slug__in=DEMO_CHANNELS)
        for channel in channels:
            if channel.provider == Provider.EVOLUTION and evo_url:
                tenant = channel.tenant
                channel = evolution_channel_setup(tenant=tenant, actor=None)
                name = channel.config["instance_name"]
                evolution_channel_qr(tenant=tenant)
                httpx.post(
                    f"{evo_url}/__control/scan/{name}",
                    json={"number": DEMO_EVOLUTION_NUMBER, "profileName": tenant.name},
                    timeout=5,
                ).raise_for_status()
                state = ChannelStatus(evolution_channel_state(tenant=tenant)).label.lower()
                lines.append(f"{tenant.name}: WhatsApp pessoal (Evolution simulado) {state}")
            elif channel.provider == Provider.TWILIO and twilio_url:
                httpx.post(
                    f"{twilio_url}/__control/accounts",
                    json={
                        "account_sid": channel.config["account_sid"],
                        "auth_token": channel.secrets["auth_token"],
                        "inbound_url": twilio_webhook_urls(channel)["inbound"],
                    },
                    timeout=5,
                ).raise_for_status()
                fake_twilio_learn_windows(channel=channel, fake_url=twilio_url)
                lines.append(f"{channel.tenant.name}: WhatsApp oficial (Twilio simulado) pronto")
    return lines


def fake_twilio_learn_windows(*, channel: Channel, fake_url: str) -> int:
    """The seeded history was ingested, never delivered by the fake Twilio, which starts empty:
    tell it when each contact last wrote, so its 24-hour window is the one the conversation
    page shows (otherwise it refuses, with 63016, a reply the page says is allowed).
    Returns how many windows it learned."""
    threads = Thread.objects.filter(
        tenant=channel.tenant, last_inbound_at__isnull=False
    ).values_list("thread_key", "last_inbound_at")
    for thread_key, last_inbound_at in threads:
        assert last_inbound_at is not None  # filtered above
        httpx.post(
            f"{fake_url}/__control/window",
            json={
                "sender": channel.config["sender"],
                "user": thread_key,
                "at": last_inbound_at.isoformat(),
            },
            timeout=5,
        ).raise_for_status()
    return len(threads)


# --- WhatsApp history ----------------------------------------------------------------------
def _conversations(tenant: Tenant, patients: list[Patient], report: SeedReport) -> None:
    """A living inbox: conversations ingested through messaging (devtools/seed_conversations)."""
    conversations_seed(tenant=tenant, patients=patients, report=report)


def seed_demo() -> SeedReport:
    """Create (or complete) the demo data. Safe to run any number of times."""
    report = SeedReport()
    with transaction.atomic():
        staff = _user(STAFF_EMAIL, "Equipe", "Clinicrm", staff=True, report=report)
        for spec in TENANTS:
            tenant = _tenant(spec, report)
            owner, professionals = _team(spec, tenant, report)
            patients = _patients(spec, tenant, owner, report)
            _rules(tenant, owner, professionals, report)
            _appointments(spec, tenant, owner, professionals, patients, report)
            _credits(tenant, spec, staff, report)
            _channel(spec, tenant, report)
            _conversations(tenant, patients, report)
            automation_seed(tenant=tenant, owner=owner, patients=patients, report=report)
        report.logins.append(("Clinicrm (SaaS)", "Equipe SaaS", STAFF_EMAIL))
    return report


def seed_counts() -> dict[str, Any]:
    """Row counts the seed touches (used by tests and printed by the command)."""
    from clinicrm.people.models import ContactEmail, ContactPhone

    return {
        "tenants": Tenant.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "professionals": Professional.objects.count(),
        "patients": Patient.objects.count(),
        "phones": ContactPhone.objects.count(),
        "emails": ContactEmail.objects.count(),
        "rules": AvailabilityRule.objects.count(),
        "appointments": Appointment.objects.count(),
    }
