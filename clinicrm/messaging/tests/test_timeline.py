import datetime as dt

from clinicrm.messaging.timeline import day_label

TODAY = dt.date(2026, 3, 11)  # a Wednesday


def test_day_labels_read_as_people_say_them():
    assert day_label(TODAY, today=TODAY) == "Hoje"
    assert day_label(TODAY - dt.timedelta(days=1), today=TODAY) == "Ontem"
    assert day_label(dt.date(2026, 3, 1), today=TODAY) == "Domingo, 1 de março"
    assert day_label(dt.date(2025, 12, 24), today=TODAY) == "24 de dezembro de 2025"
