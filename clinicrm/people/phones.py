"""Phone canonicalisation: the many ways Brazilians write a number -> one E.164 string.

Accepted: `(11) 98888-7777`, `11988887777`, `+55 11 98888-7777`, `5511988887777`, a trunk
prefix (`011 98888-7777`), `0055...`, and the 12-digit form WhatsApp often sends for old mobile
lines (`551188887777`), whose 9th digit we restore. Any other country needs a leading `+`
(or `00`). Validation is phonenumbers' (number length and ranges per area code).
"""

import re

import phonenumbers

from clinicrm.core.errors import ApplicationError

INVALID_MESSAGE = (
    "Telefone inválido. Informe DDD e número, por exemplo (11) 98888-7777, "
    "ou o código do país com + para números do exterior."
)

_NON_DIGITS = re.compile(r"\D")
# Brazilian mobile subscriber numbers (8-digit legacy form) start with 6, 7, 8 or 9.
_LEGACY_MOBILE_FIRST = frozenset("6789")


def _restore_ninth_digit(national: str) -> str:
    """`1188887777` (area + 8-digit mobile) -> `11988887777`; anything else unchanged."""
    if len(national) == 10 and national[2] in _LEGACY_MOBILE_FIRST:
        return f"{national[:2]}9{national[2:]}"
    return national


def _parse_brazilian(digits: str) -> phonenumbers.PhoneNumber | None:
    """Digits written without '+': national (10/11), trunk-prefixed, or with the 55 code."""
    if digits.startswith("0") and not digits.startswith("00"):
        digits = digits[1:]
        # A carrier selection code ("0 15 11 9...") after the trunk 0: drop it too.
        if len(digits) in (12, 13) and not digits.startswith("55"):
            digits = digits[2:]
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    if len(digits) not in (10, 11):
        return None
    national = _restore_ninth_digit(digits)
    try:
        return phonenumbers.parse(national, "BR")
    except phonenumbers.NumberParseException:
        return None


def _parse_international(digits: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(f"+{digits}", None)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == 55:
        national = _restore_ninth_digit(str(number.national_number))
        try:
            number = phonenumbers.parse(national, "BR")
        except phonenumbers.NumberParseException:
            return None
    return number


def phone_canonicalize(raw: str, *, default_region: str = "BR", field: str = "number") -> str:
    """Return `raw` as E.164 (e.g. `+5511988887777`) or raise ApplicationError (pt-BR)."""
    text = (raw or "").strip()
    digits = _NON_DIGITS.sub("", text)
    if not digits or len(digits) > 17:
        raise ApplicationError(INVALID_MESSAGE, field=field)
    number: phonenumbers.PhoneNumber | None
    if text.startswith("+"):
        number = _parse_international(digits)
    elif digits.startswith("00"):
        number = _parse_international(digits[2:])
    elif default_region == "BR":
        number = _parse_brazilian(digits)
    else:
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException:
            number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApplicationError(INVALID_MESSAGE, field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_format_display(e164: str) -> str:
    """`+5511988887777` -> `+55 (11) 98888-7777`; other countries in international format.

    Never raises: a value that does not parse is shown as stored.
    """
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 55:
        national = str(number.national_number)
        area, subscriber = national[:2], national[2:]
        if len(subscriber) in (8, 9):
            return f"+55 ({area}) {subscriber[:-4]}-{subscriber[-4:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_digits(e164: str) -> str:
    """Digits only, for search and for comparing with what providers send."""
    return _NON_DIGITS.sub("", e164 or "")
