"""Evolution API (unofficial WhatsApp through the clinic's phone): its spec for the registry."""

from clinicrm.integrations.evolution import constants as c
from clinicrm.integrations.evolution.adapter import EvolutionAdapter
from clinicrm.integrations.evolution.handlers import HANDLERS
from clinicrm.integrations.evolution.urls import urlpatterns
from clinicrm.integrations.registry import ProviderSpec
from clinicrm.messaging.channel_kinds import ChannelKind

PROVIDER = ProviderSpec(
    key=c.PROVIDER,
    label="Evolution API",
    urls=urlpatterns,
    handlers=HANDLERS,
    adapter=EvolutionAdapter,
    channel=ChannelKind(
        key=c.PROVIDER,
        title="Pessoal",
        subtitle="WhatsApp pelo Evolution API",
        features=(
            "Não oficial: usa o WhatsApp do seu celular",
            "Conecta lendo um QR code",
            "Gratuito: não consome créditos",
        ),
        setup_url="integrations:evolution_setup",
    ),
)
