"""The project's only authentication backend: Django's ModelBackend behind the login throttle.

Being the backend (not a check in one view) is what makes the throttle cover every password
login, whichever view, form or command calls `authenticate()`.
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from clinicrm.core.accounts.services import login_attempt_claim, login_attempt_release
from clinicrm.core.client_ip import client_ip

REFUSAL_ATTR = "login_refusal"


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email = (username or kwargs.get("email") or "").strip().lower()
        if not email or password is None:
            return None
        attempt, refusal = login_attempt_claim(email=email, ip=client_ip(request))
        if refusal is not None:
            if request is not None:
                # For the login form's message and for the failure receiver, which must not
                # count a refused attempt as a password failure.
                setattr(request, REFUSAL_ATTR, refusal)
            return None
        user = super().authenticate(request, username=email, password=password)
        if user is not None and attempt is not None:
            login_attempt_release(attempt=attempt)
        return user

    async def aauthenticate(  # type: ignore[override]
        self, request: HttpRequest | None, **credentials: Any
    ) -> Any:
        return await sync_to_async(self.authenticate)(request, **credentials)
