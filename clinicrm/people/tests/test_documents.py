import pytest
from django import forms as djforms

from clinicrm.core.errors import ApplicationError
from clinicrm.people.documents import (
    CpfCnpjField,
    CpfField,
    cpf_cnpj_format,
    cpf_cnpj_normalize,
    cpf_cnpj_validate,
    cpf_validate,
)


def reference_cpf_digits(base9: str) -> str:
    """Independent textbook implementation (sum * 10 % 11)."""
    digits = [int(c) for c in base9]
    for size in (9, 10):
        total = sum(d * (size + 1 - i) for i, d in enumerate(digits[:size]))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def reference_cnpj(base12: str) -> str:
    """Independent implementation following the Receita Federal's 2026 description."""
    values = [ord(c) - ord("0") for c in base12]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        rest = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        values.append(0 if rest in (0, 1) else 11 - rest)
    return base12 + "".join(str(v) for v in values[12:])


@pytest.mark.parametrize("base", ["123456789", "529982247", "111444777", "000000001", "987654321"])
def test_cpf_matches_reference_implementation(base):
    cpf = reference_cpf_digits(base)
    assert cpf_validate(cpf) == cpf
    formatted = cpf_cnpj_format(cpf)
    assert cpf_validate(formatted) == cpf
    # Any change in a check digit is refused.
    wrong = cpf[:10] + str((int(cpf[10]) + 1) % 10)
    with pytest.raises(ApplicationError):
        cpf_validate(wrong)


def test_well_known_documents():
    assert cpf_cnpj_validate("529.982.247-25") == "52998224725"
    assert cpf_cnpj_validate("11.222.333/0001-81") == "11222333000181"
    assert cpf_cnpj_validate("12.ABC.345/01DE-35") == "12ABC34501DE35"
    assert cpf_cnpj_validate("12.abc.345/01de-35") == "12ABC34501DE35"


@pytest.mark.parametrize("base", ["12ABC34501DE", "A1B2C3D4E5F6", "ZZZZZZZZ0001", "112223330001"])
def test_alphanumeric_cnpj_matches_reference(base):
    full = reference_cnpj(base)
    assert cpf_cnpj_validate(full) == full
    wrong = full[:13] + str((int(full[13]) + 1) % 10)
    with pytest.raises(ApplicationError):
        cpf_cnpj_validate(wrong)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("529.982.247-24", "CPF inválido"),
        ("111.111.111-11", "CPF inválido"),
        ("11.222.333/0001-82", "CNPJ inválido"),
        ("12.ABC.345/01DE-36", "CNPJ inválido"),
        ("12.ABC.345/01DE-3X", "CNPJ inválido"),  # check digits are always numeric
        ("00000000000000", "CNPJ inválido"),
        ("12ABC34501DÉ35", "CNPJ inválido"),
        ("1234", "Informe um CPF"),
        ("", "Informe um CPF"),
        ("123456789012", "Informe um CPF"),
    ],
)
def test_invalid_documents_are_refused_in_portuguese(raw, message):
    with pytest.raises(ApplicationError) as excinfo:
        cpf_cnpj_validate(raw)
    assert message in excinfo.value.message
    assert excinfo.value.field == "cpf_cnpj"


def test_cpf_validate_refuses_a_cnpj():
    with pytest.raises(ApplicationError):
        cpf_validate("11222333000181")


def test_normalize_and_format():
    assert cpf_cnpj_normalize(" 11.222.333/0001-81 ") == "11222333000181"
    assert cpf_cnpj_format("11222333000181") == "11.222.333/0001-81"
    assert cpf_cnpj_format("12ABC34501DE35") == "12.ABC.345/01DE-35"
    assert cpf_cnpj_format("52998224725") == "529.982.247-25"
    assert cpf_cnpj_format("123") == "123"
    assert cpf_cnpj_format(None) == ""


def test_form_fields():
    class DocForm(djforms.Form):
        doc = CpfCnpjField()
        cpf = CpfField(required=False)

    ok = DocForm({"doc": "12.abc.345/01de-35", "cpf": "529.982.247-25"})
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data == {"doc": "12ABC34501DE35", "cpf": "52998224725"}
    bad = DocForm({"doc": "11.222.333/0001-80", "cpf": "11222333000181"})
    assert not bad.is_valid()
    assert "CNPJ inválido" in bad.errors["doc"][0]
    assert "CPF inválido" in bad.errors["cpf"][0]
    empty = DocForm({"doc": "", "cpf": ""})
    assert not empty.is_valid()
    assert "doc" in empty.errors and "cpf" not in empty.errors
