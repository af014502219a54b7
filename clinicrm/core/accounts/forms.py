from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={"required": "Informe o e-mail.", "invalid": "Informe um e-mail válido."},
    )


class AccountSetPasswordForm(SetPasswordForm):
    """Django's form (password validators included), with the house's labels and messages."""

    error_messages = {"password_mismatch": "As duas senhas não são iguais."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Nova senha"
        self.fields["new_password1"].help_text = (
            "Pelo menos 8 caracteres, não só números, e nada parecido com o seu nome, o seu "
            "e-mail ou uma senha comum."
        )
        self.fields["new_password2"].label = "Repita a nova senha"
        self.fields["new_password2"].help_text = ""
        for field in self.fields.values():
            field.error_messages["required"] = "Informe a nova senha nos dois campos."

    def clean(self) -> dict[str, Any]:
        # Django reports a weak password under the confirmation field; the person fixes the
        # first one, so the message goes there.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self) or {}
