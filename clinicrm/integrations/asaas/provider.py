"""Asaas (PIX payments for credit packages): its spec for the registry."""

from clinicrm.integrations.asaas import constants as c
from clinicrm.integrations.asaas.gateway import AsaasGateway
from clinicrm.integrations.asaas.handlers import HANDLERS
from clinicrm.integrations.asaas.urls import urlpatterns
from clinicrm.integrations.registry import ProviderSpec

PROVIDER = ProviderSpec(
    key=c.PROVIDER,
    label="Asaas",
    urls=urlpatterns,
    handlers=HANDLERS,
    gateway=AsaasGateway,
)
