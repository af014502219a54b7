"""Extension point of the agenda for the apps above it (imports point down: they register here).

An app that knows something about appointments the agenda does not (automation: the state of
each session reminder) registers a badge provider; the day and week views call every provider
once per page with all the page's appointments and show the badges on the cards.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from clinicrm.agenda.models import Appointment
from clinicrm.core.models import Tenant


@dataclass(frozen=True)
class AppointmentBadge:
    label: str  # pt-BR, short
    tone: str = ""  # "" | "ok" | "warn" | "danger" | "primary" (the pill classes)
    title: str = ""  # longer explanation (tooltip)
    code: str = ""  # stable identifier for tests and styling


BadgeProvider = Callable[..., dict[int, list[AppointmentBadge]]]
BADGE_PROVIDERS: list[BadgeProvider] = []


def appointment_badge_provider_register(provider: BadgeProvider) -> BadgeProvider:
    if provider not in BADGE_PROVIDERS:
        BADGE_PROVIDERS.append(provider)
    return provider


def appointment_badges_attach(*, tenant: Tenant, appointments: Iterable[Appointment]) -> None:
    """Set `appointment.badges` (a list) on every appointment, from every provider."""
    rows: list[Any] = list(appointments)
    for row in rows:
        row.badges = []
    if not rows:
        return
    by_id = {row.pk: row for row in rows}
    for provider in tuple(BADGE_PROVIDERS):
        for pk, badges in provider(tenant=tenant, appointments=rows).items():
            if pk in by_id:
                by_id[pk].badges.extend(badges)
