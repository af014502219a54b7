"""Objects of a given tenant for the tenant-isolation walker (kwarg name -> URL value)."""

from collections.abc import Callable

from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag


def _note_id(tenant: Tenant) -> str:
    from clinicrm.crm.models import Note

    author = User.objects.create_user(email=f"nota-{User.objects.count()}@iso.test")
    Membership.objects.create(tenant=tenant, user=author, role=Role.SECRETARY)
    note = Note.objects.create(
        tenant=tenant, thread=make_inbox_thread(tenant), author=author, body="x"
    )
    return str(note.pk)


def _tag_id(tenant: Tenant) -> str:
    return str(make_tag(tenant, f"Iso {Tenant.objects.count()}").pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {"note_id": _note_id, "tag_id": _tag_id}
EXEMPT: dict[str, str] = {}
