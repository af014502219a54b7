"""When is the clinic closed? The three auto-reply schedule modes, in São Paulo time.

1. `agenda`: open while any active professional's weekly availability rule covers the moment.
2. `business_hours`: open inside the clinic's own hours per weekday.
3. `window`: closed inside one date-time window (holidays, vacations), open otherwise.

In modes 1 and 2 a national holiday, or one of the tenant's state (`Tenant.state`), is closed
all day (`core.holidays`). Brazil has had no daylight saving time since 2019, but nothing here
assumes it: wall-clock times are turned into instants with zoneinfo.
"""

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clinicrm.agenda.models import AvailabilityRule
from clinicrm.automation.models import AutoReplySettings, ScheduleMode
from clinicrm.core.errors import ApplicationError
from clinicrm.core.holidays import holiday_name
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO, local_datetime

WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
LOOKAHEAD_DAYS = 31


@dataclass(frozen=True, order=True)
class Interval:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time

    def as_json(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}


def _time(raw: Any, field: str) -> dt.time:
    try:
        value = dt.time.fromisoformat(str(raw))
    except ValueError as exc:
        raise ApplicationError("Horário inválido.", field=field) from exc
    return value.replace(second=0, microsecond=0, tzinfo=None)


def business_hours_parse(raw: Iterable[Any]) -> list[Interval]:
    """Validated, sorted intervals from `[{"weekday", "start", "end"}, ...]`; raises
    ApplicationError (pt-BR) for bad values and for overlapping intervals of one day."""
    intervals: list[Interval] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApplicationError("Horário inválido.", field="business_hours")
        try:
            weekday = int(item.get("weekday", -1))
        except (TypeError, ValueError):
            weekday = -1
        if not 0 <= weekday <= 6:
            raise ApplicationError("Dia da semana inválido.", field="business_hours")
        start = _time(item.get("start"), "business_hours")
        end = _time(item.get("end"), "business_hours")
        if end <= start:
            raise ApplicationError(
                f"Na {WEEKDAYS[weekday]}, o fim ({end:%H:%M}) deve ser depois do início "
                f"({start:%H:%M}).",
                field="business_hours",
            )
        intervals.append(Interval(weekday, start, end))
    intervals.sort()
    for before, after in itertools.pairwise(intervals):
        if before.weekday == after.weekday and after.start < before.end:
            raise ApplicationError(
                f"Na {WEEKDAYS[before.weekday]}, os horários {before.start:%H:%M}–"
                f"{before.end:%H:%M} e {after.start:%H:%M}–{after.end:%H:%M} se sobrepõem.",
                field="business_hours",
            )
    return intervals


def agenda_intervals(*, tenant: Tenant) -> list[Interval]:
    """Mode 1: every active rule of every active professional of the tenant."""
    rows = AvailabilityRule.objects.filter(
        tenant=tenant, is_active=True, professional__is_active=True
    ).values_list("weekday", "start_time", "end_time")
    return sorted(Interval(w, s, e) for w, s, e in rows)


def settings_intervals(*, settings: AutoReplySettings) -> list[Interval]:
    if settings.mode == ScheduleMode.AGENDA:
        return agenda_intervals(tenant=settings.tenant)
    if settings.mode == ScheduleMode.BUSINESS_HOURS:
        return business_hours_parse(settings.business_hours or [])
    return []


def _open_by_hours(at: dt.datetime, intervals: Sequence[Interval], state: str) -> bool:
    local = at.astimezone(SAO_PAULO)
    if holiday_name(day=local.date(), state=state):
        return False
    moment = local.time().replace(tzinfo=None)
    return any(i.weekday == local.weekday() and i.start <= moment < i.end for i in intervals)


def clinic_is_closed(
    *,
    mode: str,
    at: dt.datetime,
    intervals: Sequence[Interval] = (),
    state: str = "",
    window: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
) -> bool:
    """Is the clinic closed at the instant `at` (aware) under `mode`?"""
    if mode == ScheduleMode.WINDOW:
        start, end = window
        return start is not None and end is not None and start <= at < end
    return not _open_by_hours(at, intervals, state)


def next_opening(
    *,
    mode: str,
    at: dt.datetime,
    intervals: Sequence[Interval] = (),
    state: str = "",
    window: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
) -> dt.datetime | None:
    """The next instant (São Paulo time) the clinic opens after `at`, within a month; for the
    window mode, the window's end."""
    if mode == ScheduleMode.WINDOW:
        return window[1].astimezone(SAO_PAULO) if window[1] is not None else None
    local = at.astimezone(SAO_PAULO)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + dt.timedelta(days=offset)
        if holiday_name(day=day, state=state):
            continue
        for interval in sorted(i for i in intervals if i.weekday == day.weekday()):
            opening = local_datetime(day, interval.start)
            if opening > local:
                return opening
    return None


def opening_label(opening: dt.datetime | None) -> str:
    """pt-BR: "segunda-feira, 13/04 às 08:00" (or a neutral phrase when unknown)."""
    if opening is None:
        return "o próximo dia útil"
    weekday = WEEKDAYS[opening.weekday()]
    weekday = weekday if opening.weekday() >= 5 else f"{weekday}-feira"
    return f"{weekday}, {opening:%d/%m} às {opening:%H:%M}"
