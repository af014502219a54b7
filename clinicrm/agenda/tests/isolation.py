"""Objects of a given tenant for the tenant-isolation walker (kwarg name -> URL value)."""

from collections.abc import Callable

from clinicrm.agenda.tests.factories import make_appointment, make_rule
from clinicrm.core.models import Tenant


def _appointment(tenant: Tenant) -> str:
    return str(make_appointment(tenant).pk)


def _rule(tenant: Tenant) -> str:
    return str(make_rule(tenant).pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {
    "appointment_id": _appointment,
    "rule_id": _rule,
}

EXEMPT: dict[str, str] = {}
