"""Errors of the credit services (pt-BR messages, safe to show)."""

from typing import Any

from clinicrm.core.errors import ApplicationError

INSUFFICIENT_CREDITS_MESSAGE = "Saldo de créditos WhatsApp insuficiente."


class InsufficientCredits(ApplicationError):
    """The WhatsApp credit balance cannot cover the movement (nothing was changed)."""

    def __init__(
        self,
        message: str = INSUFFICIENT_CREDITS_MESSAGE,
        *,
        field: str | None = None,
        extra: Any = None,
    ) -> None:
        super().__init__(message, field=field, extra=extra)


class InsufficientAddonCredits(ApplicationError):
    """The add-on balance cannot cover the consumption (nothing was changed)."""


class AddonLimitExceeded(ApplicationError):
    """An hourly or daily add-on limit refuses the consumption; `extra["limit"]` says which."""


class AddonCreditsUnavailable(ApplicationError):
    """No active, unexpired add-on credits of that type for the tenant."""
