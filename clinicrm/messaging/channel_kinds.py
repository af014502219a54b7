"""The WhatsApp channel kinds the chooser offers (one card per provider that carries WhatsApp).

Messaging knows no provider by name: each provider's spec in `integrations` registers its kind
at start-up (title, features and the URL name of its set-up page), and the chooser, the
activation pages and their routes are built from what was registered, in registration order.
"""

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ChannelKind:
    key: str  # the Channel.provider value
    title: str
    subtitle: str
    features: tuple[str, ...]
    setup_url: str  # URL name of the provider's set-up page


_kinds: dict[str, ChannelKind] = {}


def channel_kind_register(kind: ChannelKind) -> None:
    _kinds[kind.key] = kind


def channel_kinds() -> tuple[ChannelKind, ...]:
    return tuple(_kinds.values())


def channel_kind_get(key: str) -> ChannelKind:
    """The registered kind of `key` (LookupError for a provider that offers no channel)."""
    try:
        return _kinds[key]
    except KeyError:
        raise LookupError(f"no channel kind {key!r}") from None
