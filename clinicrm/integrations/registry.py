"""What a provider is to the site: one `ProviderSpec` per folder under integrations/.

A provider folder exposes `PROVIDER = ProviderSpec(...)` in its `provider.py`, and
`integrations/providers.py` lists every spec once. Everything else derives from that list:
`integrations/urls.py` includes each spec's routes; `IntegrationsConfig.ready` registers each
spec here, which hands its WhatsApp adapter and channel card to messaging and its payment gateway
to credits; the drain finds a stored event's handlers by its provider through `provider_handlers`.
This module imports no provider, so the road's services can ask it without an import cycle.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver

from clinicrm.credits.gateway import GatewayFactory, payment_gateway_register
from clinicrm.messaging.channel_kinds import ChannelKind, channel_kind_register
from clinicrm.messaging.providers import AdapterFactory, provider_adapter_register

# One function per stored event type: handler(event=..., channel=...) for a channel's stream
# (the drain reads the channel once per group), handler(event=...) for a provider's own stream
# (Asaas); see integrations/services.py.
Handler = Callable[..., None]


@dataclass(frozen=True, kw_only=True)
class ProviderSpec:
    key: str  # the provider's name in InboundEvent.provider and Channel.provider
    label: str
    urls: Sequence[URLPattern | URLResolver]  # webhooks and set-up pages (integrations namespace)
    handlers: Mapping[str, Handler]  # stored event type -> handler
    adapter: AdapterFactory | None = None  # a WhatsApp provider's messaging adapter
    channel: ChannelKind | None = None  # its card in the channel chooser
    gateway: GatewayFactory | None = None  # a payment provider's credits gateway


_specs: dict[str, ProviderSpec] = {}


def provider_spec_register(spec: ProviderSpec) -> None:
    _specs[spec.key] = spec
    if spec.adapter is not None:
        provider_adapter_register(spec.key, spec.adapter)
    if spec.channel is not None:
        channel_kind_register(spec.channel)
    if spec.gateway is not None:
        payment_gateway_register(spec.gateway)


def provider_handlers(provider: str) -> Mapping[str, Handler]:
    """The event handlers of a registered provider (LookupError for any other)."""
    try:
        return _specs[provider].handlers
    except KeyError:
        raise LookupError(f"no provider {provider!r}") from None
