"""`Message.status_rank` is derived by the database from `status`, whoever writes the row."""

import pytest
from django.utils import timezone

from clinicrm.messaging.models import STATUS_RANK, Message, MessageStatus
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db


def test_the_database_derives_the_rank_from_the_status(tenant):
    channel = make_channel(tenant)
    message = Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key="+5511999990001",
        direction="out",
        body="Lembrete",
        provider_timestamp=timezone.now(),
    )
    message.refresh_from_db()
    assert message.status_rank == STATUS_RANK[MessageStatus.PENDING]
    for status in (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.READ):
        # A raw queryset update (no Python computes the rank) still moves it.
        Message.objects.filter(pk=message.pk).update(status=status)
        message.refresh_from_db()
        assert message.status_rank == STATUS_RANK[status]
