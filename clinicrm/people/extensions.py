"""Extension point of the patient record for the apps above people (imports point down).

The record shows tabs: "Dados" and "Contatos" are people's own; an app that knows more about
a patient (agenda: appointments; crm: conversations) registers a tab whose `render` returns the
panel's HTML for the request. The record's URL names the tab (`?aba=<code>`), so a tab is
bookmarkable and the back button works; htmx fetches only the panel when switching.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.safestring import SafeString

from clinicrm.core.errors import ApplicationError
from clinicrm.people.models import Patient


@dataclass(frozen=True)
class PatientTab:
    code: str  # the ?aba= value (pt-BR, URL-safe)
    label: str
    render: Callable[..., SafeString]  # (request=, patient=) -> the panel's HTML
    order: int = 100


PATIENT_TABS: dict[str, PatientTab] = {}


def patient_tab_register(tab: PatientTab) -> PatientTab:
    PATIENT_TABS[tab.code] = tab
    return tab


def patient_tabs() -> list[PatientTab]:
    return sorted(PATIENT_TABS.values(), key=lambda t: (t.order, t.code))


def patient_tab_render(*, request: HttpRequest, patient: Patient, code: str) -> SafeString | None:
    tab = PATIENT_TABS.get(code)
    return tab.render(request=request, patient=patient) if tab else None


# --- frozen records ----------------------------------------------------------------------------
# An app above people may declare a patient's record read-only (compliance: an erased patient is
# a retained fact, LGPD). The record then shows the freeze's banner instead of its write actions,
# and people's services refuse every write to the patient or its contacts with `refusal`.


@dataclass(frozen=True)
class PatientFreeze:
    banner: str  # shown on top of the record (pt-BR)
    refusal: str  # the message of a refused write (pt-BR)


PatientFreezeCheck = Callable[[Patient], PatientFreeze | None]
PATIENT_FREEZE_CHECKS: dict[str, PatientFreezeCheck] = {}


def patient_freeze_register(*, name: str, check: PatientFreezeCheck) -> None:
    PATIENT_FREEZE_CHECKS[name] = check


def patient_freeze(*, patient: Patient) -> PatientFreeze | None:
    for check in tuple(PATIENT_FREEZE_CHECKS.values()):
        freeze = check(patient)
        if freeze is not None:
            return freeze
    return None


def patient_writable_check(*, patient: Patient) -> None:
    """Raise the freeze's pt-BR refusal when the patient's record is read-only."""
    freeze = patient_freeze(patient=patient)
    if freeze is not None:
        raise ApplicationError(freeze.refusal)
