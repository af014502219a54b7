from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest

from clinicrm.core.accounts.backends import REFUSAL_ATTR
from clinicrm.core.accounts.selectors import LoginRefusal
from clinicrm.core.models import User


class LoginForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Senha",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: object, **kwargs: object) -> None:
        self.request = request
        self.user: User | None = None
        self.refusal: LoginRefusal | None = None
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if not email or not password:
            return cleaned
        # The backend throttles and the auth signals audit (core/accounts/): nothing to do here
        # but tell the person what happened.
        user = authenticate(self.request, email=email.lower(), password=password)
        if user is None:
            self.refusal = getattr(self.request, REFUSAL_ATTR, None)
            if self.refusal is not None:
                raise forms.ValidationError(self.refusal.message, code="throttled")
            raise forms.ValidationError("E-mail ou senha incorretos.", code="invalid_login")
        self.user = user
        return cleaned
