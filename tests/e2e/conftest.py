"""Browser tests: Playwright driving Debian's chromium against pytest-django's live_server.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety guard would
refuse ORM calls made by the test itself; that is only relaxed here, for browser tests.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.asgi_server import asgi_server

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Waiting longer changes no assertion: it only keeps a busy machine (two suites and a browser on
# two cores) from failing a test that would pass a moment later.
expect.set_options(timeout=15_000)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # Registered by xdist too; repeated here so `-p no:xdist` runs pass --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}, "locale": "pt-BR"}


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def asgi_url(settings) -> Iterator[str]:
    """The app under uvicorn (SSE needs ASGI), polling fast so live updates show up quickly."""
    settings.MESSAGING_SSE_POLL_SECONDS = 0.2
    settings.MESSAGING_SSE_HEARTBEAT_SECONDS = 5.0
    with asgi_server() as url:
        settings.PUBLIC_BASE_URL = url
        yield url
