"""Per-entity view configuration shared by the people pages and the contact editors."""

from dataclasses import dataclass

from clinicrm.core.models import CLINIC_ROLES, TenantModel
from clinicrm.people.models import Patient, Professional


@dataclass(frozen=True)
class Kind:
    name: str  # "patient" | "professional": URL names and the `<name>_id` kwarg derive from it
    model: type[TenantModel]
    label: str
    roles: frozenset[str] | None  # who may open its pages (None: every member)

    @property
    def id_kwarg(self) -> str:
        return f"{self.name}_id"

    def url_name(self, suffix: str) -> str:
        return f"people:{self.name}_{suffix}"


PATIENT = Kind("patient", Patient, "paciente", None)
PROFESSIONAL = Kind("professional", Professional, "profissional", CLINIC_ROLES)
KINDS = {k.name: k for k in (PATIENT, PROFESSIONAL)}
