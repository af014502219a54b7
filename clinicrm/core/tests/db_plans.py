"""Query plans for index-usage tests, made deterministic on a handful of rows."""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def captured_sql(run: Callable[[], Any]) -> str:
    """The SQL of the single query `run()` executes (parameters inlined)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    (query,) = captured.captured_queries
    return str(query["sql"])


def query_plan(sql: str, *, table: str, keep: str) -> str:
    """EXPLAIN of `sql`. On PostgreSQL, inside the test's transaction: sequential scans off (a
    handful of rows makes them cheaper, the question is whether the index CAN serve the query)
    and every other non-unique index of `table` dropped (on a few rows any index starting with
    the tenant costs about the same and the planner's pick would vary from run to run; DDL is
    transactional, the test's rollback restores them). So the plan shows whether `keep` serves
    the query. SQLite answers its EXPLAIN QUERY PLAN unchanged."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(str(row) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND i.relname <> %s",
            [table, keep],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(str(row[0]) for row in cursor.fetchall())
