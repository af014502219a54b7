"""Signed one-time links: Django's password-reset tokens, and invitation tokens built the same way.

A token is an HMAC over the user's id, password hash, last login and a timestamp, so it dies as
soon as a password is set (and with every new unusable password: resending an invitation
invalidates the earlier links). Invitations get their own salt, so a reset link cannot be used
as an invitation and vice versa, and their own, longer validity.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

password_reset_token_generator = default_token_generator


class InviteTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "clinicrm.core.accounts.tokens.InviteTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        # Django's check_token reads PASSWORD_RESET_TIMEOUT; this is the same check with the
        # invitation's validity.
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - ts > settings.INVITE_TIMEOUT_SECONDS:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invite_token_generator = InviteTokenGenerator()
