"""Brazilian money: parsing what people type and showing amounts as "R$ 1.234,56"."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_MONEY_RE = re.compile(r"^\d+(\.\d+)?$")


def brl_parse(raw: str) -> Decimal | None:
    """Parse "R$ 1.234,56", "29,90", "29.90" or "30" into a Decimal with 2 places.

    A comma is the decimal separator when present (dots are then thousands separators);
    without a comma a single dot followed by 1-2 digits is read as the decimal point.
    Returns None when the text is not a money amount.
    """
    text = raw.strip().upper().replace("R$", "").replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text:
        if text.count(",") > 1:
            return None
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.split(".")[1]) == 3):
        # "1.234" or "1.234.567": dots as thousands separators.
        text = text.replace(".", "")
    if not _MONEY_RE.match(text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def brl_format(amount: Decimal | int | None, *, cents: bool = False) -> str:
    """R$ 1.234,56 (from reais, or from cents when `cents=True`)."""
    if amount is None:
        return ""
    value = Decimal(amount) / 100 if cents else Decimal(amount)
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    integer, frac = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while integer:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    return f"{sign}R$ {'.'.join(groups)},{frac}"


def brl_per_unit(total: Decimal | int | None, units: int | None) -> str:
    """The price of one unit of a package ("R$ 0,24"), rounded to the cent."""
    if total is None or not units:
        return ""
    return brl_format(Decimal(total) / Decimal(units))
