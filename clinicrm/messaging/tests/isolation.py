"""Objects of a given tenant for the tenant-isolation walker (kwarg name -> URL value)."""

from collections.abc import Callable

from clinicrm.core.models import Tenant
from clinicrm.messaging.tests.factories import make_thread


def _thread_key(tenant: Tenant) -> str:
    return make_thread(tenant).thread_key


FACTORIES: dict[str, Callable[[Tenant], str]] = {"thread_key": _thread_key}

EXEMPT: dict[str, str] = {
    "messaging:media": (
        "authorised by a signed, expiring token (providers fetch it without a session); a member "
        "of another tenant gets 404 (tests/test_media_urls.py)"
    ),
}
