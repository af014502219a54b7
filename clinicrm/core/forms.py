from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest

from clinicrm.core.models import User
from clinicrm.core.services import client_ip, login_failure_record, login_is_throttled


class LoginForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True}))
    password = forms.CharField(label="Senha", strip=False, widget=forms.PasswordInput)

    def __init__(self, request: HttpRequest, *args: object, **kwargs: object) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if not email or not password:
            return cleaned
        ip = client_ip(self.request)
        if login_is_throttled(email=email, ip=ip):
            raise forms.ValidationError(
                "Muitas tentativas de acesso. Aguarde alguns minutos e tente novamente.",
                code="throttled",
            )
        user = authenticate(self.request, email=email.lower(), password=password)
        if user is None or not user.is_active:
            login_failure_record(email=email, ip=ip)
            raise forms.ValidationError("E-mail ou senha incorretos.", code="invalid_login")
        self.user = user
        return cleaned
