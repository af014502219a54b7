from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Nome do token",
        max_length=100,
        help_text="Para lembrar onde ele é usado (ex.: integração da planilha).",
        error_messages={"required": "Informe um nome para o token."},
    )
