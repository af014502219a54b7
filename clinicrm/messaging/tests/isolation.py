"""Objects of a given tenant for the tenant-isolation walker (kwarg name -> URL value)."""

from collections.abc import Callable

from clinicrm.core.models import Tenant
from clinicrm.messaging.tests.factories import make_thread


def _thread_id(tenant: Tenant) -> str:
    return str(make_thread(tenant).pk)


def _message_id(tenant: Tenant) -> str:
    # A failed media download: the retry URL would act on it if isolation were broken.
    from django.utils import timezone

    from clinicrm.messaging.models import Direction, MediaStatus, Message
    from clinicrm.messaging.tests.factories import make_channel

    thread = make_thread(tenant)
    message = Message.objects.create(
        tenant=tenant,
        channel=make_channel(tenant, active=False),
        thread_key=thread.thread_key,
        direction=Direction.INBOUND,
        kind="image",
        media_status=MediaStatus.FAILED,
        provider_timestamp=timezone.now(),
    )
    return str(message.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {
    "thread_id": _thread_id,
    "message_id": _message_id,
}

EXEMPT: dict[str, str] = {
    "messaging:media": (
        "authorised by a signed, expiring token (providers fetch it without a session); a member "
        "of another tenant gets 404 (tests/test_media_urls.py)"
    ),
}
