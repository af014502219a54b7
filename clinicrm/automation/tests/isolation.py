"""Objects of a given tenant for the tenant-isolation walker (kwarg name -> URL value)."""

from collections.abc import Callable

from django.utils import timezone

from clinicrm.automation.models import OptOut, OptOutKeyword
from clinicrm.core.models import Tenant


def _keyword(tenant: Tenant) -> str:
    return str(OptOutKeyword.objects.create(tenant=tenant, kind="optout", keyword="chega").pk)


def _optout(tenant: Tenant) -> str:
    row = OptOut.objects.create(
        tenant=tenant,
        thread_key="+5511977770000",
        opted_out_at=timezone.now(),
        source="manual",
        reason="teste",
    )
    return str(row.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {
    "keyword_id": _keyword,
    "optout_id": _optout,
}

EXEMPT: dict[str, str] = {}
