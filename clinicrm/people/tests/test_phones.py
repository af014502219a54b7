import pytest

from clinicrm.core.errors import ApplicationError
from clinicrm.people.phones import phone_canonicalize, phone_digits, phone_format_display


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(11) 98888-7777", "+5511988887777"),
        ("11988887777", "+5511988887777"),
        ("11 98888 7777", "+5511988887777"),
        ("+55 11 98888-7777", "+5511988887777"),
        ("+55 (11) 98888-7777", "+5511988887777"),
        ("5511988887777", "+5511988887777"),
        ("55 11 98888-7777", "+5511988887777"),
        # WhatsApp's 12-digit form of an old 8-digit mobile: the 9th digit is restored.
        ("551188887777", "+5511988887777"),
        ("+551188887777", "+5511988887777"),
        ("1188887777", "+5511988887777"),
        ("552176543210", "+5521976543210"),
        ("556199998888", "+5561999998888"),
        # Landlines (subscriber starting 2-5) keep 8 digits.
        ("(11) 3333-4444", "+551133334444"),
        ("551133334444", "+551133334444"),
        ("+55 21 2555-1234", "+552125551234"),
        # Trunk prefix and international dialling prefix.
        ("011 98888-7777", "+5511988887777"),
        ("0055 11 98888-7777", "+5511988887777"),
        ("  (11)98888-7777  ", "+5511988887777"),
        # Other countries need a +.
        ("+1 650 253 0000", "+16502530000"),
        ("+351 912 345 678", "+351912345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_canonicalize_accepts_the_usual_forms(raw, expected):
    assert phone_canonicalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "123",
        "9888-7777",  # no area code
        "98888-7777",
        "(00) 98888-7777",  # area code 00 does not exist
        "(11) 08888-7777",
        "119888877771234",  # too long
        "+55 11 98888-77",
        "+999 123456",  # no such country
        "+1 000 000 0000",
        "0000000000",
        "12345678901234567890",
    ],
)
def test_canonicalize_rejects_invalid_numbers_in_portuguese(raw):
    with pytest.raises(ApplicationError) as excinfo:
        phone_canonicalize(raw, field="telefone")
    assert "Telefone inválido" in excinfo.value.message
    assert excinfo.value.field == "telefone"


def test_canonical_form_is_stable():
    for raw in ("(11) 98888-7777", "551188887777", "+16502530000"):
        once = phone_canonicalize(raw)
        assert phone_canonicalize(once) == once


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+5511988887777", "+55 (11) 98888-7777"),
        ("+551133334444", "+55 (11) 3333-4444"),
        ("+16502530000", "+1 650-253-0000"),
        ("garbage", "garbage"),
        ("", ""),
    ],
)
def test_display_format(e164, shown):
    assert phone_format_display(e164) == shown


def test_digits():
    assert phone_digits("+55 (11) 98888-7777") == "5511988887777"
