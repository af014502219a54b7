"""Brazilian holidays (national + the tenant's state), from the `holidays` package.

A tenant's state is `Tenant.state` (UF, blank = national holidays only). Dates are São Paulo
calendar days: callers convert instants with `core.timeutils` first.
"""

import datetime as dt
import functools

import holidays as holidays_lib

# The 27 federative units (holidays' subdivisions of BR, without the capital-only calendar).
STATES: tuple[tuple[str, str], ...] = (
    ("AC", "Acre"),
    ("AL", "Alagoas"),
    ("AP", "Amapá"),
    ("AM", "Amazonas"),
    ("BA", "Bahia"),
    ("CE", "Ceará"),
    ("DF", "Distrito Federal"),
    ("ES", "Espírito Santo"),
    ("GO", "Goiás"),
    ("MA", "Maranhão"),
    ("MT", "Mato Grosso"),
    ("MS", "Mato Grosso do Sul"),
    ("MG", "Minas Gerais"),
    ("PA", "Pará"),
    ("PB", "Paraíba"),
    ("PR", "Paraná"),
    ("PE", "Pernambuco"),
    ("PI", "Piauí"),
    ("RJ", "Rio de Janeiro"),
    ("RN", "Rio Grande do Norte"),
    ("RS", "Rio Grande do Sul"),
    ("RO", "Rondônia"),
    ("RR", "Roraima"),
    ("SC", "Santa Catarina"),
    ("SP", "São Paulo"),
    ("SE", "Sergipe"),
    ("TO", "Tocantins"),
)
STATE_CODES = frozenset(code for code, _ in STATES)


@functools.lru_cache(maxsize=256)
def _calendar(state: str, year: int) -> dict[dt.date, str]:
    subdiv = state if state in STATE_CODES else None
    calendar = holidays_lib.country_holidays("BR", subdiv=subdiv, years=year, language="pt_BR")
    return dict(calendar.items())


def holiday_name(*, day: dt.date, state: str = "") -> str | None:
    """The pt-BR name of the national or `state` holiday on `day`, or None."""
    return _calendar(state or "", day.year).get(day)


def holidays_between(*, start: dt.date, end: dt.date, state: str = "") -> dict[dt.date, str]:
    """Holidays in [start, end] (inclusive), by day."""
    out: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in _calendar(state or "", year).items():
            if start <= day <= end:
                out[day] = name
    return out
