"""Mounts the resource routers on the v1 API (imported once, by the package)."""

from clinicrm.api.v1 import (
    appointments,
    compliance,
    contacts,
    credits,
    crm,
    people,
    search,
    threads,
)
from clinicrm.api.v1.base import api

api.add_router("/", people.router)
api.add_router("/", contacts.router)
api.add_router("/", appointments.router)
api.add_router("/", credits.router)
api.add_router("/", search.router)
api.add_router("/", crm.router)
api.add_router("/", threads.router)
api.add_router("/", compliance.router)

__all__ = ["api"]
