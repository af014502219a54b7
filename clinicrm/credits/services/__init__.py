"""Writes of the credits app: the WhatsApp credit ledger and the add-on credits."""

from clinicrm.credits.errors import (
    AddonCreditsUnavailable,
    AddonLimitExceeded,
    InsufficientAddonCredits,
    InsufficientCredits,
)
from clinicrm.credits.services.addons import (
    addon_credit_get_or_create,
    addon_credit_settings_update,
    addon_credits_add,
    addon_credits_consume,
)
from clinicrm.credits.services.ledger import (
    credits_add,
    credits_adjust,
    credits_balance_get,
    credits_deduct,
    credits_low_balance_threshold_set,
    credits_purchase_reverse,
    credits_refund,
)

__all__ = [
    "AddonCreditsUnavailable",
    "AddonLimitExceeded",
    "InsufficientAddonCredits",
    "InsufficientCredits",
    "addon_credit_get_or_create",
    "addon_credit_settings_update",
    "addon_credits_add",
    "addon_credits_consume",
    "credits_add",
    "credits_adjust",
    "credits_balance_get",
    "credits_deduct",
    "credits_low_balance_threshold_set",
    "credits_purchase_reverse",
    "credits_refund",
]
