"""Auto-reply: the three schedule modes across midnight, weekends and holidays (time travel),
the cooldown's boundaries, and who never gets one. Every decision is logged."""

import datetime as dt
from typing import Any

import pytest
import time_machine

from clinicrm.agenda.models import AvailabilityRule
from clinicrm.automation import reasons
from clinicrm.automation.models import AutoReplyLog, AutoReplySettings, ScheduleMode
from clinicrm.automation.services import autoreply_settings_save
from clinicrm.automation.tests.helpers import automated, new_number, patient_writes
from clinicrm.core.errors import ApplicationError
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people.models import Professional

pytestmark = pytest.mark.django_db

WEEKDAY_HOURS = [
    {"weekday": d, "start": s, "end": e}
    for d in range(5)
    for s, e in (("08:00", "12:00"), ("13:00", "18:00"))
]
MESSAGE = "Estamos fechados. {clinica} volta {proxima_abertura}."


def sp(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SAO_PAULO)


def _settings(tenant, owner, **overrides) -> AutoReplySettings:
    values: dict[str, Any] = {
        "enabled": True,
        "message": MESSAGE,
        "mode": ScheduleMode.BUSINESS_HOURS,
        "business_hours": WEEKDAY_HOURS,
        "window_starts_at": None,
        "window_ends_at": None,
        "cooldown_hours": 1,
    }
    values.update(overrides)
    return autoreply_settings_save(tenant=tenant, actor=owner, **values)


def _decide(channel, at: dt.datetime, number: str | None = None) -> AutoReplyLog:
    with time_machine.travel(at, tick=False):
        message = patient_writes(channel, number or new_number(), "Olá, bom dia")
    return AutoReplyLog.objects.get(inbound_message=message)


def _outcome(log: AutoReplyLog) -> str:
    return "sent" if log.decision == "sent" else log.reason


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sp(2026, 3, 13, 17, 59, 59), reasons.OPEN_NOW),  # Friday, last second open
        (sp(2026, 3, 13, 18, 0), "sent"),  # Friday, closing time
        (sp(2026, 3, 13, 12, 30), "sent"),  # lunch break
        (sp(2026, 3, 10, 23, 59, 59), "sent"),  # Tuesday, just before midnight
        (sp(2026, 3, 11, 0, 0), "sent"),  # Wednesday, midnight
        (sp(2026, 3, 11, 7, 59, 59), "sent"),
        (sp(2026, 3, 11, 8, 0), reasons.OPEN_NOW),
        (sp(2026, 3, 14, 10, 0), "sent"),  # Saturday
        (sp(2026, 3, 15, 10, 0), "sent"),  # Sunday
        (sp(2026, 4, 21, 10, 0), "sent"),  # Tuesday, Tiradentes (national holiday)
        (sp(2026, 4, 22, 10, 0), reasons.OPEN_NOW),
        # The old daylight-saving months: 08:00 in São Paulo is 11:00 UTC (UTC-3 all year).
        (dt.datetime(2026, 11, 9, 10, 59, tzinfo=dt.UTC), "sent"),
        (dt.datetime(2026, 11, 9, 11, 0, tzinfo=dt.UTC), reasons.OPEN_NOW),
    ],
)
def test_business_hours_mode(tenant, owner, adapters, at, expected):
    channel = make_channel(tenant)
    _settings(tenant, owner)
    assert _outcome(_decide(channel, at)) == expected


def test_the_reply_names_the_next_opening(tenant, owner, adapters):
    channel = make_channel(tenant)
    _settings(tenant, owner)
    # Friday evening before the Tiradentes holiday week: next opening is Monday 08:00.
    _decide(channel, sp(2026, 4, 17, 19, 0))
    # Monday 20/04 evening: Tuesday is a holiday, so Wednesday 22/04 08:00.
    _decide(channel, sp(2026, 4, 20, 19, 0))
    first, second = automated(tenant, "autoreply")
    assert first.body == "Estamos fechados. Clínica Alfa volta segunda-feira, 20/04 às 08:00."
    assert second.body == "Estamos fechados. Clínica Alfa volta quarta-feira, 22/04 às 08:00."


def test_state_holidays_count_for_the_tenants_state(tenant, owner, adapters):
    channel = make_channel(tenant)
    _settings(tenant, owner)
    thursday = sp(2026, 7, 9, 10, 0)  # Revolução Constitucionalista, São Paulo only
    assert _outcome(_decide(channel, thursday)) == reasons.OPEN_NOW
    tenant.state = "SP"
    tenant.save(update_fields=["state"])
    assert _outcome(_decide(channel, thursday)) == "sent"


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sp(2026, 3, 9, 9, 0), reasons.OPEN_NOW),  # Monday inside the professional's rule
        (sp(2026, 3, 9, 12, 0), "sent"),  # the rule ends at 12:00
        (sp(2026, 3, 9, 23, 59), "sent"),
        (sp(2026, 3, 10, 0, 0), "sent"),  # Tuesday: no rule at all
        (sp(2026, 3, 15, 9, 0), "sent"),  # Sunday
        (sp(2026, 9, 7, 9, 0), "sent"),  # Monday, Independência (national holiday)
        (sp(2026, 9, 14, 9, 0), reasons.OPEN_NOW),
    ],
)
def test_agenda_mode_uses_the_professionals_rules(tenant, owner, adapters, at, expected):
    channel = make_channel(tenant)
    helena = Professional.objects.create(tenant=tenant, full_name="Dra. Helena")
    AvailabilityRule.objects.create(
        tenant=tenant,
        professional=helena,
        weekday=0,
        start_time=dt.time(8),
        end_time=dt.time(12),
    )
    # An inactive professional's rules do not open the clinic.
    gone = Professional.objects.create(tenant=tenant, full_name="Dr. Antigo", is_active=False)
    AvailabilityRule.objects.create(
        tenant=tenant, professional=gone, weekday=1, start_time=dt.time(0), end_time=dt.time(23)
    )
    _settings(tenant, owner, mode=ScheduleMode.AGENDA, business_hours=[])
    assert _outcome(_decide(channel, at)) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sp(2026, 12, 19, 23, 59, 59), reasons.OPEN_NOW),
        (sp(2026, 12, 20, 0, 0), "sent"),
        (sp(2026, 12, 25, 10, 0), "sent"),
        (sp(2027, 1, 4, 23, 59), "sent"),
        (sp(2027, 1, 5, 0, 0), reasons.OPEN_NOW),  # the window's end is open again
    ],
)
def test_window_mode(tenant, owner, adapters, at, expected):
    channel = make_channel(tenant)
    _settings(
        tenant,
        owner,
        mode=ScheduleMode.WINDOW,
        business_hours=[],
        window_starts_at=sp(2026, 12, 20, 0, 0),
        window_ends_at=sp(2027, 1, 5, 0, 0),
    )
    log = _decide(channel, at)
    assert _outcome(log) == expected
    if expected == "sent":
        assert log.reply_message is not None
        assert log.reply_message.body.endswith("volta terça-feira, 05/01 às 00:00.")


def test_cooldown_boundaries_per_thread(tenant, owner, adapters):
    channel = make_channel(tenant)
    _settings(tenant, owner, cooldown_hours=2)
    number, other = new_number(), new_number()
    start = sp(2026, 3, 14, 10, 0)  # Saturday: closed all day
    assert _outcome(_decide(channel, start, number)) == "sent"
    almost = start + dt.timedelta(hours=2, seconds=-1)
    assert _outcome(_decide(channel, almost, number)) == reasons.COOLDOWN
    assert _outcome(_decide(channel, almost, other)) == "sent"  # per thread
    assert _outcome(_decide(channel, start + dt.timedelta(hours=2), number)) == "sent"
    assert len(automated(tenant, "autoreply")) == 3


def test_never_to_opted_out_numbers_nor_our_own_or_group_messages(tenant, owner, adapters):
    channel = make_channel(tenant)
    _settings(tenant, owner)
    saturday = sp(2026, 3, 14, 10, 0)
    number = new_number()
    with time_machine.travel(saturday, tick=False):
        patient_writes(channel, number, "PARE")  # consumed by the opt-out: no decision at all
        assert not AutoReplyLog.objects.exists()
        assert _outcome(_decide(channel, saturday, number)) == reasons.OPTED_OUT
        own = message_ingest(
            channel=channel,
            inbound=inbound_text(jid="5511955550000@s.whatsapp.net", body="Oi", from_me=True),
        )
        assert AutoReplyLog.objects.get(inbound_message=own).reason == reasons.OWN_MESSAGE
        group = message_ingest(
            channel=channel,
            inbound=inbound_text(jid="120363025246125888@g.us", body="Olá grupo"),
        )
        assert group is None  # groups are never stored, so never answered
    assert automated(tenant, "autoreply") == []


def test_disabled_decides_nothing(tenant, owner, adapters):
    channel = make_channel(tenant)
    _settings(tenant, owner, enabled=False)
    _decide_at = sp(2026, 3, 14, 10, 0)
    with time_machine.travel(_decide_at, tick=False):
        patient_writes(channel, new_number(), "Olá")
    assert not AutoReplyLog.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"message": "Volte {amanha}"}, "message", "Variável desconhecida: {amanha}"),
        ({"message": "Volte {clinica"}, "message", "Chave sem par"),
        ({"message": "   "}, "message", "Escreva o texto"),
        ({"cooldown_hours": 0}, "cooldown_hours", "de 1 a"),
        ({"cooldown_hours": -3}, "cooldown_hours", "de 1 a"),
        (
            {
                "business_hours": [
                    {"weekday": 0, "start": "08:00", "end": "12:00"},
                    {"weekday": 0, "start": "11:00", "end": "14:00"},
                ]
            },
            "business_hours",
            "se sobrepõem",
        ),
        (
            {"business_hours": [{"weekday": 2, "start": "18:00", "end": "08:00"}]},
            "business_hours",
            "deve ser depois do início",
        ),
        (
            {"business_hours": [{"weekday": 9, "start": "08:00", "end": "12:00"}]},
            "business_hours",
            "Dia",
        ),
        (
            {"business_hours": [{"weekday": 1, "start": "25:00", "end": "26:00"}]},
            "business_hours",
            "inválido",
        ),
        (
            {
                "mode": ScheduleMode.WINDOW,
                "window_starts_at": sp(2026, 12, 20, 0, 0),
                "window_ends_at": sp(2026, 12, 19, 0, 0),
            },
            "window_ends_at",
            "depois do início",
        ),
        ({"mode": ScheduleMode.WINDOW}, "window_starts_at", "Informe o período"),
        ({"mode": "sempre"}, "mode", "Escolha"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(tenant, owner, overrides, field, message):
    with pytest.raises(ApplicationError) as excinfo:
        _settings(tenant, owner, **overrides)
    assert excinfo.value.field == field
    assert message in excinfo.value.message
    assert not AutoReplySettings.objects.exists()
