"""The credits app's SQL that the ORM cannot say, in one place.

Django's `QuerySet.update()` has no RETURNING, and a ledger movement needs the balance it
produced (for `balance_after`) in the same statement that changed it, under the row lock:

* `balance_move`: ``UPDATE whatsapp_credits_balance ... WHERE balance + n >= 0 RETURNING ...``
  (SQLite, inside the caller's IMMEDIATE transaction; the ORM then inserts the row);
* `balance_move_recorded` (PostgreSQL): the same UPDATE as a CTE feeding the INSERT of the
  transaction row, one statement and one round trip, so the row lock is held the shortest time.

Both are built from the one UPDATE below. Table and column names, and the PostgreSQL casts of
the INSERT's values, come from the models' metadata; every value is a parameter.
"""

import datetime as dt
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from clinicrm.credits.models import CreditBalance, CreditTransaction

# What the callers need back from the balance row (threshold and alert feed the low-balance alert).
BALANCE_RETURNING = ("balance", "low_balance_threshold", "low_balance_alerted_at")


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(str(_field(model, name).column))


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _balance_update(vendor: str) -> str:
    """The balance UPDATE (named parameters: amount, purchased, used, now, tenant)."""
    c = {
        name: _column(CreditBalance, name)
        for name in ("tenant", "balance", "lifetime_purchased", "lifetime_used", "updated_at")
    }
    returning = ", ".join(_column(CreditBalance, name) for name in BALANCE_RETURNING)
    # Identifiers from model metadata, clauses from code; every value is a parameter.
    return (
        f"UPDATE {_table(CreditBalance)}"  # noqa: S608
        f" SET {c['balance']} = {c['balance']} + %(amount)s,"
        f" {c['lifetime_purchased']} = {c['lifetime_purchased']} + %(purchased)s,"
        f" {c['lifetime_used']} = {c['lifetime_used']} + %(used)s,"
        f" {c['updated_at']} = %(now)s"
        f" WHERE {c['tenant']} = %(tenant)s AND {c['balance']} + %(amount)s >= 0"
        f" RETURNING {returning}"
    )


@cache
def _transaction_fields() -> tuple[Field, ...]:
    """The transaction row's columns but its id (the database's) and `balance_after` (the CTE's)."""
    return tuple(
        f
        for f in CreditTransaction._meta.concrete_fields
        if not f.primary_key and f.name != "balance_after"
    )


@cache
def _move_recorded(vendor: str) -> str:
    """PostgreSQL: the balance UPDATE as a CTE feeding the transaction row's INSERT."""
    fields = _transaction_fields()
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    # INSERT ... SELECT gives parameters no column context: cast each to its column's type.
    values = ", ".join(f"%(f_{f.attname})s::{f.db_type(connection)}" for f in fields)
    after = _column(CreditTransaction, "balance_after")
    balance = _column(CreditBalance, "balance")
    threshold, alerted = (_column(CreditBalance, name) for name in BALANCE_RETURNING[1:])
    return (
        f"WITH b AS ({_balance_update(vendor)})"  # noqa: S608 (identifiers from the models)
        f" INSERT INTO {_table(CreditTransaction)} ({columns}, {after})"
        f" SELECT {values}, b.{balance} FROM b"
        f" RETURNING {_column(CreditTransaction, 'id')}, {after},"
        f" (SELECT {threshold} FROM b), (SELECT {alerted} FROM b)"
    )


def _balance_params(
    *, tenant_id: Any, amount: int, purchased: int, used: int, now: dt.datetime
) -> dict[str, Any]:
    return {
        "amount": amount,
        "purchased": purchased,
        "used": used,
        "now": _field(CreditBalance, "updated_at").get_db_prep_value(now, connection),
        "tenant": _field(CreditBalance, "tenant").get_db_prep_value(tenant_id, connection),
    }


def balance_move(
    *, tenant_id: Any, amount: int, purchased: int, used: int, now: dt.datetime
) -> tuple[int, int, Any] | None:
    """Move the balance by `amount` unless it would go negative (or the row is missing: None).
    Returns (balance, low_balance_threshold, low_balance_alerted_at) after the move."""
    params = _balance_params(
        tenant_id=tenant_id, amount=amount, purchased=purchased, used=used, now=now
    )
    with connection.cursor() as cursor:
        cursor.execute(_balance_update(connection.vendor), params)
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]), row[2])


def balance_move_recorded(
    row: CreditTransaction, *, purchased: int, used: int
) -> tuple[int, int, int, Any] | None:
    """PostgreSQL: move the balance by `row.amount` and insert `row` with the resulting
    `balance_after`, in one statement. Returns (id, balance_after, threshold, alerted_at), or
    None when the balance is missing or would go negative (then nothing was written)."""
    params = _balance_params(
        tenant_id=row.tenant_id,
        amount=row.amount,
        purchased=purchased,
        used=used,
        now=row.created_at,
    )
    for f in _transaction_fields():
        params[f"f_{f.attname}"] = f.get_db_prep_save(getattr(row, f.attname), connection)
    with connection.cursor() as cursor:
        cursor.execute(_move_recorded(connection.vendor), params)
        result = cursor.fetchone()
    if result is None:
        return None
    pk, after, threshold, alerted = result
    return int(pk), int(after), int(threshold), alerted
