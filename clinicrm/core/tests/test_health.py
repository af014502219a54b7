"""/healthz answers without I/O; /readyz checks the database, migrations, storage and the
background processes' heartbeats."""

import datetime as dt

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinicrm.core.heartbeats import heartbeat_beat
from clinicrm.core.models import ProcessHeartbeat, ProcessKind
from clinicrm.core.tests.test_error_views import every_query_fails

pytestmark = pytest.mark.django_db


def test_healthz_is_alive_without_any_query():
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-cache" in response["Cache-Control"]


def _beat(kind: ProcessKind, ago: dt.timedelta = dt.timedelta(0)) -> None:
    heartbeat_beat(process_id=f"{kind}-1", kind=kind, started_at=timezone.now())
    ProcessHeartbeat.objects.filter(id=f"{kind}-1").update(beat_at=timezone.now() - ago)


def test_readyz_is_ready_with_a_live_worker_and_scheduler(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    _beat(ProcessKind.WORKER)
    _beat(ProcessKind.SCHEDULER)
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "storage": "ok",
            "worker": "ok",
            "scheduler": "ok",
        },
    }
    assert not any(tmp_path.rglob("*.*"))  # the probe file was removed


def test_readyz_fails_when_the_worker_went_silent():
    _beat(ProcessKind.WORKER, ago=dt.timedelta(minutes=5))
    _beat(ProcessKind.SCHEDULER)
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker"] == "fail" and checks["scheduler"] == "ok"


def test_readyz_fails_without_the_database():
    with every_query_fails(OperationalError("connection refused")):
        response = Client(raise_request_exception=False).get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["checks"].values()) == {"fail"}
