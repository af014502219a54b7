"""Forms of the console: validation and pt-BR messages only; writes go through services."""

import re
from decimal import Decimal
from typing import Any

from django import forms

from clinicrm.core.dates import BoundedDateField
from clinicrm.core.models import Tenant
from clinicrm.core.money import brl_format, brl_parse
from clinicrm.credits.models import AddonTransactionType

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
TYPE_RE = re.compile(r"^[a-z0-9_]+$")


class BRLMoneyField(forms.CharField):
    """Accepts "R$ 29,90", "29,90", "29.90" or "30" and cleans to a Decimal with 2 places."""

    def __init__(self, *, min_value: Decimal | None = None, **kwargs: Any) -> None:
        self.min_value = min_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int):
            return brl_format(value).replace("R$ ", "")
        return value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        amount = brl_parse(str(text))
        if amount is None:
            raise forms.ValidationError(
                "Informe um valor em reais, por exemplo 29,90.", code="invalid"
            )
        if amount >= Decimal("100000000"):
            raise forms.ValidationError("Valor alto demais.", code="max_value")
        if self.min_value is not None and amount < self.min_value:
            raise forms.ValidationError(
                f"O valor deve ser de pelo menos {brl_format(self.min_value)}.", code="min_value"
            )
        return amount


def _text(label: str, *, max_length: int, required: bool = True, **kw: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required, **kw)


class AddonProductForm(forms.Form):
    slug = _text("Identificador (slug)", max_length=80, help_text="Letras minúsculas, números e -")
    name = _text("Nome", max_length=120)
    description = _text(
        "Descrição", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    addon_type = _text(
        "Tipo de add-on", max_length=60, help_text="Ex.: sms, whatsapp_bulk, ai_assistant"
    )
    credits_amount = forms.IntegerField(label="Créditos", min_value=0, max_value=10_000_000)
    price = BRLMoneyField(label="Preço (R$)", min_value=Decimal("0.00"))
    currency = forms.ChoiceField(label="Moeda", choices=[("BRL", "BRL — Real")], initial="BRL")
    is_active = forms.BooleanField(label="Ativo", required=False, initial=True)
    is_visible = forms.BooleanField(label="Visível na loja", required=False, initial=True)
    sort_order = forms.IntegerField(label="Ordem", initial=0, min_value=-10_000, max_value=10_000)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if not SLUG_RE.match(slug):
            raise forms.ValidationError("Use só letras minúsculas, números e hífen.")
        return slug

    def clean_addon_type(self) -> str:
        value = self.cleaned_data["addon_type"].strip().lower()
        if not TYPE_RE.match(value):
            raise forms.ValidationError("Use só letras minúsculas, números e sublinhado (_).")
        return value

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Informe o nome.")
        return name

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        price: Decimal = data.pop("price")
        data["price_cents"] = int(price * 100)
        data["description"] = data["description"].strip() or None
        return data


class CreditPackageForm(forms.Form):
    name = _text(
        "Nome",
        max_length=100,
        error_messages={
            "max_length": "O nome pode ter no máximo 100 caracteres.",
        },
    )
    description = _text(
        "Descrição", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    credits = forms.IntegerField(
        label="Créditos",
        max_value=10_000_000,
        error_messages={"invalid": "Informe um número inteiro de créditos."},
    )
    price_brl = BRLMoneyField(label="Preço (R$)")
    is_active = forms.BooleanField(label="Ativo", required=False, initial=True)
    is_featured = forms.BooleanField(label="Destaque", required=False)
    position = forms.IntegerField(label="Posição", initial=100, min_value=0, max_value=100_000)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Informe o nome do pacote (1 a 100 caracteres).")
        return name

    def clean_credits(self) -> int:
        credits: int = self.cleaned_data["credits"]
        if credits <= 0:
            raise forms.ValidationError("A quantidade de créditos deve ser maior que zero.")
        return credits

    def clean_price_brl(self) -> Decimal:
        price: Decimal = self.cleaned_data["price_brl"]
        if price <= 0:
            raise forms.ValidationError("O preço deve ser maior que zero.")
        return price

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["description"] = data["description"].strip() or None
        return data


class AddonCreditForm(forms.Form):
    low_balance_threshold = forms.IntegerField(
        label="Alerta de saldo baixo", required=False, min_value=0, max_value=10_000_000
    )
    daily_limit = forms.IntegerField(
        label="Limite diário",
        required=False,
        min_value=1,
        max_value=10_000_000,
        help_text="Vazio = sem limite",
    )
    hourly_limit = forms.IntegerField(
        label="Limite por hora",
        required=False,
        min_value=1,
        max_value=10_000_000,
        help_text="Vazio = sem limite",
    )
    expires_at = forms.DateTimeField(
        label="Expira em",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Horário de São Paulo. Vazio = não expira",
    )
    is_active = forms.BooleanField(label="Ativo", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        daily, hourly = cleaned.get("daily_limit"), cleaned.get("hourly_limit")
        if daily is not None and hourly is not None and hourly > daily:
            self.add_error("hourly_limit", "O limite por hora não pode passar o limite diário.")
        return cleaned


class TopupOperation:  # values match saas.services.TOPUP / ADJUSTMENT
    TOPUP = "topup"
    ADJUSTMENT = "adjustment"
    CHOICES = [(TOPUP, "Recarga manual"), (ADJUSTMENT, "Ajuste (pode ser negativo)")]


class TopupForm(forms.Form):
    tenant = forms.ModelChoiceField(
        label="Clínica",
        queryset=Tenant.objects.order_by("name"),
        empty_label="Selecione a clínica",
        error_messages={"invalid_choice": "Selecione uma clínica válida."},
    )
    operation = forms.ChoiceField(
        label="Operação", choices=TopupOperation.CHOICES, initial=TopupOperation.TOPUP
    )
    amount = forms.IntegerField(
        label="Créditos",
        min_value=-10_000_000,
        max_value=10_000_000,
        error_messages={"invalid": "Informe um número inteiro de créditos."},
    )
    note = _text(
        "Motivo",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obrigatório; fica registrado no extrato",
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError("Descreva o motivo.")
        return note

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount, op = cleaned.get("amount"), cleaned.get("operation")
        if amount is None:
            return cleaned
        if op == TopupOperation.TOPUP and amount <= 0:
            self.add_error("amount", "A recarga deve ser de pelo menos 1 crédito.")
        elif op == TopupOperation.ADJUSTMENT and amount == 0:
            self.add_error("amount", "O ajuste não pode ser zero.")
        return cleaned


class TransactionFilterForm(forms.Form):
    tenant = forms.ModelChoiceField(
        label="Clínica",
        queryset=Tenant.objects.order_by("name"),
        required=False,
        empty_label="Todas as clínicas",
    )
    type = forms.ChoiceField(
        label="Movimento",
        required=False,
        choices=[("", "Todos os movimentos"), *AddonTransactionType.choices],
    )
    addon_type = forms.CharField(label="Tipo de add-on", required=False, max_length=60)
    start = BoundedDateField(
        label="De", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        label="Até", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "A data final deve ser depois da inicial.")
        return cleaned


class AddonCreditFilterForm(forms.Form):
    tenant = forms.ModelChoiceField(
        label="Clínica",
        queryset=Tenant.objects.order_by("name"),
        required=False,
        empty_label="Todas as clínicas",
    )
    addon_type = forms.CharField(label="Tipo de add-on", required=False, max_length=60)
