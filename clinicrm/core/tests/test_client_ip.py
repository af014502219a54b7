"""Client IP behind trusted proxies: X-Forwarded-For is walked from the right, skipping our own
proxies; what an untrusted client writes in it is ignored."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from clinicrm.core.client_ip import client_ip, trusted_networks_parse
from clinicrm.core.models import AuditLog
from conftest import PASSWORD

rf = RequestFactory()


def _ip(remote: str, xff: str | None = None) -> str | None:
    request = rf.get("/", REMOTE_ADDR=remote)
    if xff is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = xff
    return client_ip(request)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert _ip("203.0.113.5", "1.2.3.4") == "203.0.113.5"


@pytest.mark.parametrize(
    ("remote", "xff", "expected"),
    [
        # One proxy (10.0.0.2) in front of the app: the client is the rightmost hop.
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # The client spoofed a hop: it sits left of what our proxy appended, never reached.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two of our proxies in a row (load balancer, then nginx): both skipped.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        # Repeated header lines are joined by the server; ports and IPv6 brackets are dropped.
        ("10.0.0.2", "198.51.100.7:51234", "198.51.100.7"),
        ("10.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
        ("10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7"),
        # Only trusted hops: the leftmost one is the furthest we know.
        ("10.0.0.2", "10.9.9.9", "10.9.9.9"),
        # Garbage appended by our proxy: keep the last address we can vouch for.
        ("10.0.0.2", "1.2.3.4, not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        # Someone reaching the app directly (not through a trusted proxy) cannot spoof at all.
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),
    ],
)
def test_trusted_proxy_walk(settings, remote, xff, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]
    assert _ip(remote, xff) == expected


def test_no_remote_address_is_none():
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
    assert client_ip(None) is None


def test_malformed_cidr_is_refused():
    with pytest.raises(ValueError):
        trusted_networks_parse(["10.0.0.0/33"])


@pytest.mark.django_db
def test_spoofed_header_does_not_move_the_throttle_or_the_audit(owner, settings):
    """An attacker talking to the app directly rotates X-Forwarded-For on every guess: the
    throttle and the audit log still see their real address."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    for i in range(3):
        Client().post(
            reverse("core:login"),
            {"email": owner.email, "password": "errada"},
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    assert set(AuditLog.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}
    response = Client().post(
        reverse("core:login"),
        {"email": owner.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.66",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 429
    # Through the trusted proxy, the member's own address is used (and is not throttled).
    response = Client().post(
        reverse("core:login"),
        {"email": owner.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7",
    )
    assert response.status_code == 302
    assert AuditLog.objects.get(action="auth.login").ip_address == "198.51.100.7"
