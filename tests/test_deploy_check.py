"""Production settings pass `check --deploy` and refuse to start without their secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "clinicrm.example.com",
    "DATABASE_URL": "postgres://clinicrm:senha@db.example.com:5432/clinicrm",
    "FIELD_ENCRYPTION_KEY": "uAzf0cT3vmz8bm7w3V8t1mOa6X3rZ1yJ0k2hS5pQ9dE=",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "SQLITE_", "FAST_PASSWORD", "FIELD_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings():
    assert len(PRODUCTION_ENV["DJANGO_SECRET_KEY"]) >= 50
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "FIELD_ENCRYPTION_KEY"]
)
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_an_empty_secret_key():
    result = _manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_neither_installs_nor_routes_the_development_tools():
    """The fakes, the phone simulator and the demo seed live in `devtools`: not in production."""
    probe = (
        "import django; django.setup()\n"
        "from django.apps import apps\n"
        "from django.urls import Resolver404, resolve\n"
        "print('installed', apps.is_installed('clinicrm.devtools'))\n"
        "try:\n"
        "    resolve('/simulador/')\n"
        "    print('routed True')\n"
        "except Resolver404:\n"
        "    print('routed False')\n"
    )
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "clinicrm.config.settings"}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["installed False", "routed False"]
    development = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "clinicrm.config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert development.stdout.split("\n")[:2] == ["installed True", "routed True"]


def test_production_logs_one_redacted_json_line_per_event():
    code = "import logging; logging.getLogger('clinicrm.x').warning('para +5511988887777')"
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    import json

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "para [telefone]" and line["level"] == "WARNING"
    assert line["request_id"] == "-" and line["logger"] == "clinicrm.x"
