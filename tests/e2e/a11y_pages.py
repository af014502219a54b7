"""The pages the accessibility test (test_accessibility.py) visits, per role, over the demo seed.

Each role's list holds the pages that role can open (the test checks each answers 200, so a list
cannot silently turn into a list of refusals). The intake invites, the submission and the
account links are created here, since the seed has none.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinicrm.agenda.models import Appointment, AvailabilityRule
from clinicrm.compliance.intake.services import IntakeData, intake_invite_create, intake_submit
from clinicrm.compliance.intake.tokens import intake_invite_token
from clinicrm.core.accounts.tokens import invite_token_generator, password_reset_token_generator
from clinicrm.core.models import AuditLog, Membership, Tenant, User
from clinicrm.core.visibility import visibility_filter
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.state import Instance
from clinicrm.messaging.models import Channel, Provider, Thread
from clinicrm.people.models import Patient, Professional

OWNER = "dona@bemestar.demo"
PROFESSIONAL = "rafael@bemestar.demo"
SECRETARY = "recepcao@bemestar.demo"

STAFF_PAGES = [
    "/saas/",
    "/saas/addons",
    "/saas/addons/produtos/novo",
    "/saas/addons/creditos",
    "/saas/addons/transacoes",
    "/saas/addons/pacotes-whatsapp",
    "/saas/addons/pacotes-whatsapp/novo",
    "/saas/addons/topup-whatsapp",
    "/saas/auditoria",
]


@dataclass(frozen=True)
class Demo:
    """Rows of the demo clinic "bem-estar" the page lists point at."""

    patient: int
    professional: int
    thread: int
    appointment: int
    rule: int
    audit: int
    invite: str  # an invite with a submission waiting for review
    submission: str
    intake_token: str  # an unused invite's public token
    used_token: str  # the answered invite's (the page refuses it)
    own: "RoleRows"  # what the professional Rafael attends


@dataclass(frozen=True)
class RoleRows:
    patient: int
    professional: int
    thread: int
    appointment: int


def _first_pk(qs: QuerySet[Any]) -> int:
    row = qs.order_by("pk").first()
    assert row is not None, f"the demo seed has no {qs.model.__name__}"
    return int(row.pk)


def _professional_rows(tenant: Tenant) -> RoleRows:
    membership = Membership.objects.get(tenant=tenant, user__email=PROFESSIONAL)
    professional = Professional.objects.get(tenant=tenant, user=membership.user)
    appointments = Appointment.objects.filter(tenant=tenant, professional=professional)
    return RoleRows(
        patient=_first_pk(visibility_filter(Patient.objects.filter(tenant=tenant), membership)),
        professional=professional.pk,
        thread=_first_pk(visibility_filter(Thread.objects.filter(tenant=tenant), membership)),
        appointment=_first_pk(appointments),
    )


def demo_rows() -> Demo:
    tenant = Tenant.objects.get(slug="bem-estar")
    owner = User.objects.get(email=OWNER)
    waiting = intake_invite_create(tenant=tenant, actor=owner, name="Mariana")
    submission = intake_submit(
        invite=waiting,
        data=IntakeData(
            full_name="Mariana Lopes",
            cpf="52998224725",
            birth_date=dt.date(1991, 3, 14),
            phone_e164="+5511977776666",
            email="mariana@exemplo.com.br",
        ),
        ip=None,
    )
    unused = intake_invite_create(tenant=tenant, actor=owner, name="Pedro")
    return Demo(
        patient=_first_pk(Patient.objects.filter(tenant=tenant)),
        professional=_first_pk(Professional.objects.filter(tenant=tenant)),
        thread=_first_pk(Thread.objects.filter(tenant=tenant)),
        appointment=_first_pk(Appointment.objects.filter(tenant=tenant)),
        rule=_first_pk(AvailabilityRule.objects.filter(tenant=tenant)),
        audit=_first_pk(AuditLog.objects.filter(tenant=tenant)),
        invite=str(waiting.pk),
        submission=str(submission.pk),
        intake_token=intake_invite_token(invite=unused),
        used_token=intake_invite_token(invite=waiting),
        own=_professional_rows(tenant),
    )


def demo_evolution_unpaired(fake: FakeEvolutionServer) -> None:
    """The demo clinic's Evolution instance, on the fake and not yet paired, so the set-up page
    shows its QR code (the seed leaves the instance to the fake the demo starts)."""
    channel = Channel.objects.get(tenant__slug="bem-estar", provider=Provider.EVOLUTION)
    name = channel.config["instance_name"]
    fake.state.instances[name] = Instance(name=name, token=channel.secrets["apikey"])


def owner_pages(d: Demo) -> list[str]:
    return [
        "/",
        "/pacientes/",
        "/pacientes/novo/",
        f"/pacientes/{d.patient}/",
        f"/pacientes/{d.patient}/editar/",
        f"/pacientes/{d.patient}/?aba=lgpd",
        "/profissionais/",
        "/profissionais/novo/",
        f"/profissionais/{d.professional}/",
        f"/profissionais/{d.professional}/editar/",
        "/agenda/",
        f"/agenda/profissionais/{d.professional}/semana/",
        f"/agenda/profissionais/{d.professional}/regras/",
        f"/agenda/regras/{d.rule}/editar/",
        "/agenda/consultas/nova/",
        f"/agenda/consultas/{d.appointment}/editar/",
        "/configuracoes/creditos-whatsapp",
        "/configuracoes/extrato",
        "/configuracoes/extrato-addons",
        "/membros/",
        "/perfil/",
        "/notificacoes/",
        "/notificacoes/preferencias/",
        "/configuracoes/whatsapp/",
        "/configuracoes/whatsapp/twilio/",
        "/configuracoes/conversas-optouts",
        "/configuracoes/conversas-autoreply",
        "/configuracoes/lembretes-sessao",
        "/configuracoes/privacidade",
        "/busca/?q=ana",
        "/conversas/",
        "/conversas/kanban/",
        f"/conversas/{d.thread}/",
        "/configuracoes/etiquetas/",
        "/configuracoes/auditoria",
        f"/configuracoes/auditoria/{d.audit}",
        "/pacientes/cadastros/",
        "/pacientes/cadastros/convidar/",
        f"/pacientes/cadastros/convites/{d.invite}/",
        f"/pacientes/cadastros/{d.submission}/",
    ]


def professional_pages(d: Demo) -> list[str]:
    own = d.own
    return [
        "/",
        "/pacientes/",
        f"/pacientes/{own.patient}/",
        f"/pacientes/{own.patient}/?aba=lgpd",
        "/agenda/",
        "/agenda/minha-semana/",
        f"/agenda/profissionais/{own.professional}/semana/",
        "/agenda/consultas/nova/",
        f"/pacientes/{own.patient}/editar/",
        "/conversas/kanban/",
        "/busca/?q=ana",
        f"/agenda/profissionais/{own.professional}/regras/",
        f"/agenda/consultas/{own.appointment}/editar/",
        "/conversas/",
        f"/conversas/{own.thread}/",
        "/pacientes/cadastros/",
        "/pacientes/cadastros/convidar/",
        "/notificacoes/",
        "/notificacoes/preferencias/",
        "/perfil/",
    ]


def secretary_pages(d: Demo) -> list[str]:
    return [
        "/",
        "/pacientes/",
        f"/pacientes/{d.patient}/",
        f"/pacientes/{d.patient}/?aba=lgpd",
        "/pacientes/novo/",
        f"/pacientes/{d.patient}/editar/",
        "/profissionais/",
        f"/profissionais/{d.professional}/",
        f"/profissionais/{d.professional}/editar/",
        "/agenda/",
        f"/agenda/profissionais/{d.professional}/semana/",
        f"/agenda/profissionais/{d.professional}/regras/",
        f"/agenda/regras/{d.rule}/editar/",
        "/agenda/consultas/nova/",
        f"/agenda/consultas/{d.appointment}/editar/",
        "/conversas/",
        "/conversas/kanban/",
        f"/conversas/{d.thread}/",
        "/configuracoes/etiquetas/",
        "/configuracoes/lembretes-sessao",
        "/configuracoes/conversas-autoreply",
        "/configuracoes/conversas-optouts",
        "/busca/?q=ana",
        "/pacientes/cadastros/",
        "/pacientes/cadastros/convidar/",
        f"/pacientes/cadastros/convites/{d.invite}/",
        f"/pacientes/cadastros/{d.submission}/",
        "/notificacoes/",
        "/notificacoes/preferencias/",
        "/perfil/",
    ]


def account_link_pages() -> list[str]:
    """The pages an e-mailed link opens (anonymous): accept an invitation, set a new password.
    Django moves the token into the session and redirects to the form."""
    user = User.objects.get(email=SECRETARY)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return [
        f"/convite/{uid}/{invite_token_generator.make_token(user)}/",
        "/convite/concluido/",
        f"/senha/redefinir/{uid}/{password_reset_token_generator.make_token(user)}/",
        "/senha/redefinida/",
        "/senha/esqueci/enviado/",
    ]
