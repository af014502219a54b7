"""The client's IP address, for the login throttle and the audit log.

Behind a reverse proxy REMOTE_ADDR is the proxy, and the client is in `X-Forwarded-For`. That
header is written by whoever sent the request, so only the hops appended by *our* proxies can be
believed: each proxy appends the address of its peer. The list is walked from the right, skipping
addresses in `settings.TRUSTED_PROXIES` (CIDRs); the first untrusted address is the client. What
a client wrote itself sits further left and is never reached. Without trusted proxies (or when
REMOTE_ADDR is not one of them, e.g. someone reaching the app server directly) the header is
ignored and REMOTE_ADDR is the answer.
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
type Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks_parse(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) -> networks. Raises ValueError on a malformed entry."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return trusted_networks_parse(values)


def _parse(raw: str) -> Address | None:
    """An address as proxies write it: bare, `1.2.3.4:port` or `[v6]:port`; None if garbage."""
    raw = raw.strip()
    if raw.startswith("["):
        raw = raw[1 : raw.find("]")] if "]" in raw else ""
    elif raw.count(":") == 1:
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = _networks(tuple(str(n) for n in getattr(settings, "TRUSTED_PROXIES", ())))
    current = remote
    if networks:
        # Both request handlers join repeated header lines with commas.
        for raw in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            if not any(current in net for net in networks):
                break  # `current` was not written by one of our proxies: it is the client
            hop = _parse(raw)
            if hop is None:
                break  # a trusted proxy passed on garbage: keep the last address we can vouch for
            current = hop
    return str(current)
