"""The polymorphic side of contacts: which models may own phones and e-mails.

Contacts point at their owner by (`entity_type`, `entity_id`) instead of a foreign key, so any
tenant-owned model can own them. This registry is the single place that maps a model to its
`entity_type`; later apps register their own owners here.
"""

from django.db.models import Model

from clinicrm.core.models import Tenant, TenantModel
from clinicrm.people.models import EntityType, Patient, Professional

ENTITY_MODELS: dict[str, type[TenantModel]] = {
    EntityType.PATIENT: Patient,
    EntityType.PROFESSIONAL: Professional,
}


def entity_type_of(entity: Model) -> str:
    for entity_type, model in ENTITY_MODELS.items():
        if isinstance(entity, model):
            return entity_type
    raise TypeError(f"{type(entity).__name__} cannot own contacts")


def entity_lock(entity: TenantModel) -> TenantModel:
    """Lock the owner row: every contact write of one entity runs one at a time (PostgreSQL
    row lock; on SQLite the IMMEDIATE transaction already serialises writers)."""
    model = type(entity)
    return model._default_manager.select_for_update().get(pk=entity.pk, tenant=entity.tenant_id)


def entity_get(*, tenant: Tenant, entity_type: str, entity_id: int) -> TenantModel | None:
    model = ENTITY_MODELS.get(entity_type)
    if model is None:
        return None
    return model._default_manager.filter(tenant=tenant, pk=entity_id).first()
