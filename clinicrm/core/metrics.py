"""Prometheus metrics at `/metrics`, behind a token (METRICS_TOKEN; unset: 404).

Two sources:

- Requests, counted where they happen (`RequestMetricsMiddleware`): method and status class,
  and a latency histogram. With several web processes set PROMETHEUS_MULTIPROC_DIR (an empty
  directory, cleared before the processes start): every process writes its counts there and
  any of them answers the scrape with the sum (prometheus_client's multiprocess mode).
- Everything the workers, the scheduler and the webhooks do, read from the database at scrape
  time, so it is the same whichever process answers: task queue depth and the age of the
  oldest waiting task per queue, running tasks, live worker/scheduler heartbeats, and over the
  last METRICS_WINDOW_SECONDS: webhook deliveries by provider and result, outbound messages by
  outcome, credit movements by kind (count and credits). Labels are ids of kinds, never a
  tenant, a phone or a text. Those window metrics belong to their apps, which register them
  from AppConfig.ready() (`metrics_window_register`): core names no app above it.
"""

import datetime as dt
import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from clinicrm.core.hybrid_middleware import HybridMiddleware

REQUESTS = Counter(
    "clinicrm_http_requests", "HTTP requests answered", ["method", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "clinicrm_http_request_duration_seconds",
    "Time to the response headers",
    ["method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _observe(request: HttpRequest, status: int, started: float) -> None:
    method = request.method if request.method in _METHODS else "OTHER"
    REQUESTS.labels(method=method, status=f"{status // 100}xx").inc()
    LATENCY.labels(method=method).observe(time.perf_counter() - started)


class RequestMetricsMiddleware(HybridMiddleware):
    def call_sync(self, request: HttpRequest) -> Any:
        started = time.perf_counter()
        response: HttpResponse = self.get_response(request)
        _observe(request, response.status_code, started)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response: HttpResponse = await self.get_response(request)
        _observe(request, response.status_code, started)
        return response


def metrics_gauge(name: str, doc: str, labels: list[str], rows: Iterable[tuple[Any, ...]]) -> Any:
    """A gauge family from rows of (*label values, number)."""
    family = GaugeMetricFamily(name, doc, labels=labels)
    for *values, number in rows:
        family.add_metric([str(v) for v in values], float(number or 0))
    return family


def _task_metrics(now: dt.datetime) -> Iterator[Any]:
    from django_tasks_db.models import DBTaskResult

    from clinicrm.core.models import ProcessHeartbeat

    waiting = list(
        DBTaskResult.objects.filter(status="READY")
        .values("queue_name")
        .annotate(n=Count("id"), oldest=Min("enqueued_at"))
    )
    yield metrics_gauge(
        "clinicrm_task_queue_depth",
        "Tasks waiting to run",
        ["queue"],
        ((r["queue_name"], r["n"]) for r in waiting),
    )
    yield metrics_gauge(
        "clinicrm_task_queue_oldest_age_seconds",
        "Age of the oldest task waiting in the queue",
        ["queue"],
        ((r["queue_name"], (now - r["oldest"]).total_seconds()) for r in waiting),
    )
    running = DBTaskResult.objects.filter(status="RUNNING").values("queue_name")
    yield metrics_gauge(
        "clinicrm_tasks_running",
        "Tasks running now",
        ["queue"],
        ((r["queue_name"], r["n"]) for r in running.annotate(n=Count("id"))),
    )
    fresh = now - dt.timedelta(seconds=settings.PROCESS_STALE_SECONDS)
    alive = ProcessHeartbeat.objects.filter(stopped_at__isnull=True, beat_at__gte=fresh)
    yield metrics_gauge(
        "clinicrm_processes_alive",
        "Workers and schedulers with a fresh heartbeat",
        ["kind"],
        ((r["kind"], r["n"]) for r in alive.values("kind").annotate(n=Count("id"))),
    )


WindowMetrics = Callable[[dt.datetime], Iterable[Any]]
_window_metrics: dict[str, WindowMetrics] = {}


def metrics_window_register(name: str, collect: WindowMetrics) -> None:
    """Add an app's metrics over the last METRICS_WINDOW_SECONDS: `collect(since)` yields gauge
    families (`metrics_gauge`)."""
    _window_metrics[name] = collect


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Any]:
        now = timezone.now()
        window = settings.METRICS_WINDOW_SECONDS
        yield metrics_gauge(
            "clinicrm_metrics_window_seconds", "Window of the *_window metrics", [], [(window,)]
        )
        yield from _task_metrics(now)
        since = now - dt.timedelta(seconds=window)
        for collect in _window_metrics.values():
            yield from collect(since)


def metrics_token_ok(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def metrics_render() -> bytes:
    """The text exposition: request metrics (summed over processes in multiprocess mode) and
    the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        requests = generate_latest(registry)
    else:
        requests = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return requests + generate_latest(database)


CONTENT_TYPE = CONTENT_TYPE_LATEST
