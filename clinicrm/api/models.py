"""Per-user API tokens.

A token belongs to one (user, tenant) pair and authenticates only while that user's membership
in that tenant is active: the API resolves the tenant from the token alone, never from a
session or a header. The plain token is shown once at creation; the database keeps only a
short public `prefix` (to find the row) and the SHA-256 of the whole token (compared in
constant time). Revoking sets `revoked_at`; rows are kept for the audit trail.
"""

from django.conf import settings
from django.db import models

from clinicrm.core.models import TenantModel


class ApiToken(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("nome", max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_tokens"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "user"], name="api_tokens_tenant_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
