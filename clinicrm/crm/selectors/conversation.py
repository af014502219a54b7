"""What the conversation drawer's CRM panels show: the thread's CRM data and the choices its
controls offer (the timeline itself is messaging's: `messaging/timeline.py`)."""

from dataclasses import dataclass

from clinicrm.core.models import Membership, Tenant
from clinicrm.crm.models import Note, Tag
from clinicrm.crm.services.tags import tag_system_ensure
from clinicrm.messaging.models import Thread

NOTES_MAX = 50


def tags_of_tenant(*, tenant: Tenant) -> list[Tag]:
    tag_system_ensure(tenant=tenant)
    return list(Tag.objects.filter(tenant=tenant).order_by("sort_order", "name", "id"))


def notes_of_thread(*, thread: Thread, limit: int = NOTES_MAX) -> list[Note]:
    return list(
        Note.objects.filter(tenant_id=thread.tenant_id, thread=thread)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )


def note_count(*, thread: Thread) -> int:
    return Note.objects.filter(tenant_id=thread.tenant_id, thread=thread).count()


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    role: str


def members_assignable(*, tenant: Tenant) -> list[Member]:
    """Active members of the tenant (the assignment select), by name."""
    rows = (
        Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    return [
        Member(
            user_id=str(m.user_id),
            name=m.user.get_full_name() or m.user.email,
            role=m.get_role_display(),
        )
        for m in rows
    ]
