"""Twilio (the official WhatsApp Business API): its spec for the registry."""

from clinicrm.integrations.registry import ProviderSpec
from clinicrm.integrations.twilio import constants as c
from clinicrm.integrations.twilio.adapter import TwilioAdapter
from clinicrm.integrations.twilio.handlers import HANDLERS
from clinicrm.integrations.twilio.urls import urlpatterns
from clinicrm.messaging.channel_kinds import ChannelKind

PROVIDER = ProviderSpec(
    key=c.PROVIDER,
    label="Twilio",
    urls=urlpatterns,
    handlers=HANDLERS,
    adapter=TwilioAdapter,
    channel=ChannelKind(
        key=c.PROVIDER,
        title="Oficial",
        subtitle="API oficial do WhatsApp pela Twilio",
        features=(
            "Oficial: número aprovado pela Meta",
            "1 crédito por mensagem enviada",
            "Modelos aprovados fora da janela de 24 horas",
        ),
        setup_url="integrations:twilio_setup",
    ),
)
