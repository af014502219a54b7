"""Tenant-isolation walker hooks for the saas app.

Every saas URL belongs to the SaaS staff console: global catalogue objects (packages,
products) and per-tenant add-on credit rows reached by staff across all tenants. None is
tenant-scoped, so the walker skips them; `test_access.py` proves instead that a non-staff
user (even a tenant owner) gets 403 on every saas URL and changes nothing.
"""

from collections.abc import Callable

from clinicrm.core.models import Tenant

REASON = "SaaS staff console: not tenant-scoped, staff only"

FACTORIES: dict[str, Callable[[Tenant], str]] = {}

EXEMPT: dict[str, str] = {
    "saas:product_update": REASON,
    "saas:product_delete": REASON,
    "saas:addon_credit_update": REASON,
    "saas:package_update": REASON,
    "saas:package_toggle": REASON,
    "saas:package_delete": REASON,
    "saas:audit_detail": REASON,
}
