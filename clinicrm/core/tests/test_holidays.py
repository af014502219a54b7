import datetime as dt

from clinicrm.core.holidays import holiday_name, holidays_between


def test_national_and_state_holidays():
    assert holiday_name(day=dt.date(2026, 9, 7)) == "Independência do Brasil"
    # 9 July is a holiday in São Paulo only.
    assert holiday_name(day=dt.date(2026, 7, 9), state="SP") == "Revolução Constitucionalista"
    assert holiday_name(day=dt.date(2026, 7, 9), state="RJ") is None
    assert holiday_name(day=dt.date(2026, 7, 9)) is None
    # An unknown state falls back to the national calendar.
    assert holiday_name(day=dt.date(2026, 12, 25), state="XX") == "Natal"
    assert holiday_name(day=dt.date(2026, 12, 24)) is None


def test_holidays_between_spans_years():
    found = holidays_between(start=dt.date(2026, 12, 20), end=dt.date(2027, 1, 2))
    assert list(found) == [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
