"""The dashboard card "Saldo de créditos WhatsApp": balance, a low-balance pill, and for owners
and admins (who may buy, as on the credits page) a link to the store."""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from clinicrm.core.models import MANAGER_ROLES, Tenant
from clinicrm.credits import selectors
from clinicrm.dashboard.slots import dashboard_slot_register

TEMPLATE = "credits/_dashboard_balance.html"


@dataclass(frozen=True)
class BalanceSummary:
    balance: int
    low_balance_threshold: int

    @property
    def is_low(self) -> bool:
        return self.balance < self.low_balance_threshold  # CreditBalance.is_low

    @property
    def is_empty(self) -> bool:
        return self.balance <= 0


def credits_balance_summary(*, tenant: Tenant) -> BalanceSummary:
    row = selectors.credits_balance_get(tenant=tenant)
    return BalanceSummary(balance=row.balance, low_balance_threshold=row.low_balance_threshold)


def credits_dashboard_context(request: HttpRequest) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    membership = getattr(request, "membership", None)
    return {
        "summary": credits_balance_summary(tenant=tenant),
        "can_buy": membership is not None and membership.role in MANAGER_ROLES,
    }


def credits_dashboard_register() -> None:
    """Called from CreditsConfig.ready(): replaces the dashboard's placeholder card."""
    dashboard_slot_register(
        slot_id="credits", template_name=TEMPLATE, context=credits_dashboard_context
    )
