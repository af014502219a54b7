"""CPF and CNPJ: normalisation, check-digit validation, display format and form fields.

Check digits by `validate-docbr`, which knows the alphanumeric CNPJ (since July 2026: 12
characters in 0-9/A-Z followed by 2 numeric check digits; the numeric CNPJ is the special case
where all 12 are digits). The shapes are checked here first (normalised, upper-case, letters
only in the CNPJ's first 12 characters).
"""

import re
from typing import Any

from django import forms
from validate_docbr import CNPJ, CPF

from clinicrm.core.errors import ApplicationError

_PUNCTUATION = re.compile(r"[\s./\-]")
_CPF_RE = re.compile(r"^\d{11}$")
_CNPJ_RE = re.compile(r"^[0-9A-Z]{12}\d{2}$")
_CPF = CPF()
_CNPJ = CNPJ()

CPF_INVALID = "CPF inválido: confira os números digitados."
CNPJ_INVALID = "CNPJ inválido: confira os caracteres digitados."
CPF_CNPJ_INVALID = "Informe um CPF (11 dígitos) ou um CNPJ (14 caracteres) válido."


def cpf_cnpj_normalize(raw: str | None) -> str:
    """Strip spaces and . / - and upper-case: `12.abc.345/01de-35` -> `12ABC34501DE35`."""
    return _PUNCTUATION.sub("", raw or "").upper()


def cpf_is_valid(value: str) -> bool:
    """`value` normalised (11 digits)."""
    return bool(_CPF_RE.match(value)) and _CPF.validate(value)


def cnpj_is_valid(value: str) -> bool:
    """`value` normalised (14 characters, letters only in the first 12)."""
    return bool(_CNPJ_RE.match(value)) and _CNPJ.validate(value)


def cpf_validate(raw: str, *, field: str = "cpf") -> str:
    """Return the CPF as 11 digits or raise ApplicationError."""
    value = cpf_cnpj_normalize(raw)
    if not cpf_is_valid(value):
        raise ApplicationError(CPF_INVALID, field=field)
    return value


def cpf_cnpj_validate(raw: str, *, field: str = "cpf_cnpj") -> str:
    """Return a CPF (11 digits) or CNPJ (14 characters) normalised, or raise ApplicationError."""
    value = cpf_cnpj_normalize(raw)
    if len(value) == 11:
        if not cpf_is_valid(value):
            raise ApplicationError(CPF_INVALID, field=field)
        return value
    if len(value) == 14:
        if not cnpj_is_valid(value):
            raise ApplicationError(CNPJ_INVALID, field=field)
        return value
    raise ApplicationError(CPF_CNPJ_INVALID, field=field)


def cpf_cnpj_format(value: str | None) -> str:
    """Display form: `123.456.789-09` or `12.ABC.345/01DE-35`; other input is returned as is."""
    v = cpf_cnpj_normalize(value)
    if len(v) == 11:
        return f"{v[:3]}.{v[3:6]}.{v[6:9]}-{v[9:]}"
    if len(v) == 14:
        return f"{v[:2]}.{v[2:5]}.{v[5:8]}/{v[8:12]}-{v[12:]}"
    return value or ""


class CpfCnpjField(forms.CharField):
    """Accepts a CPF or CNPJ with or without punctuation; cleans to the normalised form."""

    validate_func = staticmethod(cpf_cnpj_validate)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("label", "CPF/CNPJ")
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "text")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        try:
            return self.validate_func(value)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc


class CpfField(CpfCnpjField):
    validate_func = staticmethod(cpf_validate)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "CPF")
        kwargs.setdefault("max_length", 14)
        super().__init__(**kwargs)
        self.widget.attrs["inputmode"] = "numeric"
