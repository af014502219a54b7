"""Demo WhatsApp history: a living inbox for each demo tenant, ingested through messaging.

The conversations are fed to `message_ingest` as if the provider had delivered them (inbound
messages, and outbound ones typed on the clinic's phone or sent earlier), then moved forward with
`message_status_apply` and read with `thread_mark_read`. So the thread rows (last message,
unread count, `last_inbound_at` for Twilio's 24-hour window) are exactly what live traffic would
leave behind, and no credit is touched: history is ingested, never sent.

Times are relative to the moment the seed runs (São Paulo wall clock for older days), so the
Twilio tenant always has one thread inside the window and others outside it. Idempotent: a
tenant that already has threads is left alone; provider ids `DEMO-<slug>-<n>` are stable.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO, local_datetime, local_today
from clinicrm.devtools.seed_data import FIRST_NAMES, SeedReport
from clinicrm.messaging.models import Channel, MessageKind, MessageStatus, Provider, Thread
from clinicrm.messaging.providers import InboundMessage, StatusUpdate
from clinicrm.messaging.services import message_ingest, message_status_apply, thread_mark_read
from clinicrm.messaging.services.templates import channel_templates, template_preview
from clinicrm.people.models import ContactPhone, EntityType, Patient, Professional

READ = MessageStatus.READ
DELIVERED = MessageStatus.DELIVERED
TOMORROW = "tomorrow"  # the patient with tomorrow's (or the next) session
PATIENT = "patient"  # the next seeded patient with a WhatsApp-linked primary mobile


@dataclass(frozen=True)
class Line:
    minute: int  # minutes after the conversation started
    text: str  # str.format fields: first, o (gender ending), prof, dia, hora
    out: bool = False  # the clinic's side
    status: str = READ  # final status of an outbound line
    template: bool = False  # an approved Twilio template (body = its preview)


@dataclass(frozen=True)
class Chat:
    lines: tuple[Line, ...]
    who: str = PATIENT  # PATIENT, TOMORROW or the E.164 number of an unknown contact
    days_ago: int = 0
    at: str = "09:00"  # São Paulo start time when days_ago >= 1
    minutes_ago: int = 0  # start relative to now when days_ago == 0
    unread: bool = False  # leave the inbound lines unread


L = Line
CHATS: dict[str, tuple[Chat, ...]] = {
    "bem-estar": (
        Chat(who=TOMORROW, minutes_ago=95, unread=True, lines=(
            L(0, "Oi, tudo bem? Aqui é {first}."),
            L(1, "Queria confirmar minha sessão {dia} às {hora} com {prof}. Está mantida?"),
        )),
        Chat(days_ago=2, at="10:12", lines=(
            L(0, "Bom dia! Preciso remarcar minha sessão de sexta, surgiu um compromisso no "
                 "trabalho 😕"),
            L(14, "Bom dia, {first}! Sem problema. Temos horário na segunda às 10h ou na terça "
                  "às 16h. Qual fica melhor?", out=True),
            L(31, "Segunda às 10h, por favor."),
            L(35, "Prontinho, remarcado para segunda às 10h. Até lá!", out=True),
        )),
        Chat(who="+5511976540132", minutes_ago=40, unread=True, lines=(
            L(0, "Olá! Vi o perfil de vocês no Instagram. Vocês atendem fonoaudiologia infantil? "
                 "Meu filho tem 4 anos e ainda troca muitas letras."),
            L(2, "Vocês aceitam convênio ou só particular?"),
        )),
        Chat(days_ago=3, at="16:40", lines=(
            L(0, "Boa tarde! Vocês conseguem me mandar o recibo das sessões do mês passado? "
                 "É para o reembolso do plano."),
            L(22, "Boa tarde, {first}! Claro, vamos emitir e enviar para o seu e-mail até "
                  "amanhã.", out=True, status=DELIVERED),
        )),
        Chat(days_ago=5, at="19:05", lines=(
            L(0, "Oi! Só passando pra agradecer a sessão de hoje, saí bem mais leve 🙏"),
            L(48, "Que bom ler isso, {first}! Até a próxima semana.", out=True),
            L(50, "😊"),
        )),
        Chat(days_ago=1, at="08:20", lines=(
            L(0, "Bom dia! Qual é o endereço da clínica mesmo? Fica perto do metrô?"),
            L(6, "Bom dia, {first}! Rua das Acácias, 120, sala 34, a 5 minutos a pé da estação "
                 "Vila Mariana.", out=True),
            L(9, "Perfeito, obrigad{o}!"),
        )),
        Chat(minutes_ago=15, unread=True, lines=(
            L(0, "Oi, acordei com febre e não vou conseguir ir na sessão de hoje. Dá pra "
                 "remarcar pra semana que vem?"),
        )),
        Chat(days_ago=1, at="17:30", lines=(
            L(0, "Olá, {first}! Aqui é a Juliana, da recepção da Clínica Bem-Estar. A Marina "
                 "pediu para avisar que a sua próxima sessão começa às 9h30 em vez de 9h. Tudo "
                 "bem para você?", out=True),
            L(25, "Tudo bem, sem problemas!"),
            L(27, "Obrigada! Até lá 😊", out=True, status=DELIVERED),
        )),
    ),
    "dra-ana-lima": (
        # Window closed: the patient last wrote three days ago.
        Chat(days_ago=3, at="18:10", lines=(
            L(0, "Boa noite, Dra. Ana. Posso levar alguém da família na próxima sessão? Acho "
                 "que ajudaria a entenderem o que venho trabalhando."),
            L(35, "Boa noite, {first}! Pode sim, vamos conversar sobre isso no início da "
                  "sessão.", out=True),
        )),
        # Window closed long ago; the clinic wrote again with an approved template.
        Chat(days_ago=6, at="11:00", lines=(
            L(0, "Olá! Gostaria de saber se a Carla atende online também."),
            L(20, "Olá, {first}! Atende sim, as consultas online são às terças e quintas à "
                  "tarde.", out=True),
            L(26, "Ótimo, vou ver minha agenda e retorno."),
            L(5 * 24 * 60 + 10, "", out=True, status=DELIVERED, template=True),
        )),
        # Inside the window, waiting for an answer.
        Chat(minutes_ago=150, unread=True, lines=(
            L(0, "Olá! Gostaria de agendar uma avaliação nutricional com a Carla. Tem horário "
                 "na próxima semana?"),
        )),
        # Inside the window, answered and read.
        Chat(minutes_ago=50, lines=(
            L(0, "Oi, Dra. Ana! Consigo pagar a sessão por PIX?"),
            L(4, "Oi, {first}! Aqui é a Patrícia, da secretaria. Consegue sim: a chave PIX é "
                 "financeiro@analima.demo. Depois é só mandar o comprovante por aqui.", out=True,
              status=DELIVERED),
            L(12, "Pronto, acabei de fazer o PIX 👍"),
        )),
        Chat(who="+5521975310246", days_ago=4, at="14:25", lines=(
            L(0, "Olá, a Dra. Ana atende adolescentes? Minha filha tem 15 anos."),
            L(18, "Olá! Atende sim, a partir de 12 anos. Quer que eu veja os horários "
                  "disponíveis?", out=True),
        )),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class _Contact:
    number: str  # E.164
    name: str = ""  # the WhatsApp profile name ("" for a number the clinic does not know)
    gender_o: str = "o"  # "a" or "o": the ending of "obrigado" in the contact's own words


WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")


def _day(moment: dt.datetime) -> str:
    day = moment.astimezone(SAO_PAULO).date()
    if day == local_today() + dt.timedelta(days=1):
        return "de amanhã"
    return f"de {WEEKDAYS[day.weekday()]}"


def _hour(moment: dt.datetime) -> str:
    local = moment.astimezone(SAO_PAULO)
    return f"{local.hour}h{local.minute:02d}" if local.minute else f"{local.hour}h"


def _whatsapp_pool(tenant: Tenant, patients: list[Patient]) -> list[Patient]:
    """Seeded patients whose primary phone is a WhatsApp-linked mobile, in seed order."""
    numbers = dict(
        ContactPhone.objects.filter(
            tenant=tenant,
            entity_type=EntityType.PATIENT,
            is_primary=True,
            whatsapp_linked=True,
            contact_type__code="celular",
        ).values_list("entity_id", "number_e164")
    )
    pool: list[Patient] = []
    first_names: set[str] = set()
    for patient in patients:
        first = patient.full_name.split()[0]
        # One "Gustavo" per inbox reads better than two.
        if patient.pk in numbers and first not in first_names:
            first_names.add(first)
            patient.whatsapp_number = numbers[patient.pk]  # type: ignore[attr-defined]
            pool.append(patient)
    return pool


def _contact(patient: Patient) -> _Contact:
    parts = patient.full_name.split()
    female = parts[0] in FIRST_NAMES[:18]
    return _Contact(
        number=patient.whatsapp_number,  # type: ignore[attr-defined]
        name=f"{parts[0]} {parts[-1]}",
        gender_o="a" if female else "o",
    )


def _next_session(tenant: Tenant, pool: list[Patient]) -> Appointment | None:
    """Tomorrow's first session of a pooled patient (or, on a day before a free day, the
    next one within a week), so the "is it still on?" message matches the agenda."""
    day = local_today() + dt.timedelta(days=1)
    return (
        Appointment.objects.filter(
            tenant=tenant,
            patient_id__in=[p.pk for p in pool],
            starts_at__gte=local_datetime(day, dt.time(0, 0)),
            starts_at__lt=local_datetime(day + dt.timedelta(days=7), dt.time(0, 0)),
            status__in=[AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED],
        )
        .select_related("professional")
        .order_by("starts_at", "id")
        .first()
    )


def _start(chat: Chat, now: dt.datetime) -> dt.datetime:
    if chat.days_ago:
        day = local_today() - dt.timedelta(days=chat.days_ago)
        return local_datetime(day, dt.time.fromisoformat(chat.at))
    return now - dt.timedelta(minutes=chat.minutes_ago)


def _addresses(channel: Channel, number: str) -> tuple[str, str]:
    """(raw id, alternative id) the provider would write for `number`."""
    digits = number.lstrip("+")
    if channel.provider == Provider.TWILIO:
        return f"whatsapp:{number}", digits  # From, WaId
    return f"{digits}@s.whatsapp.net", ""


def _template_body(
    channel: Channel, first: str, sent_at: dt.datetime
) -> tuple[str, dict[str, Any]]:
    options = channel_templates(channel=channel)
    session = (sent_at + dt.timedelta(days=2)).astimezone(SAO_PAULO).replace(hour=15, minute=0)
    values = {"1": first, "2": session.strftime("%d/%m às 15h")}
    if not options:
        return f"Olá, {first}! Lembrete da sua sessão em {values['2']}.", {}
    option = options[0]
    extra = {"content_sid": option.content_sid, "variables": values, "template_name": option.name}
    return template_preview(option=option, values=values), extra


def conversations_seed(*, tenant: Tenant, patients: list[Patient], report: SeedReport) -> None:
    """Ingest the tenant's demo conversations once (skipped when it already has threads)."""
    chats = CHATS.get(tenant.slug)
    channel = Channel.objects.filter(tenant=tenant, is_active=True).first()
    if not chats or channel is None or Thread.objects.filter(tenant=tenant).exists():
        return
    now = timezone.now()
    pool = _whatsapp_pool(tenant, patients)
    appointment = _next_session(tenant, pool)
    tomorrow_patient = (
        next(p for p in pool if p.pk == appointment.patient_id) if appointment else None
    )
    others = iter(p for p in pool if p is not tomorrow_patient)
    professional = Professional.objects.filter(tenant=tenant).order_by("id").first()
    seq = 0
    for chat in chats:
        fields = {"prof": professional.full_name if professional else "a profissional"}
        fields.update(hora="14h", dia="de amanhã")
        if chat.who == TOMORROW:
            contact = _contact(tomorrow_patient or next(others))
            if appointment is not None:
                fields.update(prof=appointment.professional.full_name)
                fields.update(hora=_hour(appointment.starts_at), dia=_day(appointment.starts_at))
        elif chat.who == PATIENT:
            contact = _contact(next(others))
        else:
            contact = _Contact(number=chat.who)
        first = contact.name.split()[0] if contact.name else ""
        fields.update(first=first, o=contact.gender_o)
        raw, alt = _addresses(channel, contact.number)
        start = _start(chat, now)
        thread_key = ""
        for line in chat.lines:
            seq += 1
            at = start + dt.timedelta(minutes=line.minute)
            extra: dict[str, Any] = {}
            if line.template:
                body, extra = _template_body(channel, first, at)
            else:
                body = line.text.format(**fields)
            message = message_ingest(
                channel=channel,
                inbound=InboundMessage(
                    provider_message_id=f"DEMO-{tenant.slug}-{seq}",
                    contact_raw_id=raw,
                    contact_alt_id=alt,
                    contact_name="" if line.out else contact.name,
                    timestamp=at,
                    kind=MessageKind.TEMPLATE if line.template else MessageKind.TEXT,
                    body=body,
                    from_me=line.out,
                    extra=extra,
                    status=MessageStatus.SENT if line.out else None,
                ),
            )
            assert message is not None, "demo addresses are 1:1 phone numbers"
            thread_key = message.thread_key
            report.count("messages")
            if line.out:
                _advance(channel, message.provider_message_id or "", line.status, at)
        report.count("threads")
        if not chat.unread:
            thread_mark_read(thread=Thread.objects.get(tenant=tenant, thread_key=thread_key))


def _advance(channel: Channel, provider_id: str, final: str, at: dt.datetime) -> None:
    steps = [DELIVERED] if final == DELIVERED else [DELIVERED, READ]
    for minutes, status in enumerate(steps, start=1):
        message_status_apply(
            channel=channel,
            update=StatusUpdate(
                provider_message_id=provider_id,
                status=status,
                timestamp=at + dt.timedelta(minutes=minutes),
            ),
        )
