"""Scaffolding for the screenshot scripts (visual checks run by hand, not tests).

Each script seeds its own private SQLite file, serves it with runserver on its own port and
drives Debian's chromium with Playwright; this module holds those common steps so the scripts
only say what to seed and what to photograph:

    database_prepare(DB)                      # empty file, migrated, Django set up on it
    seed()                                    # the script's own ORM writes
    with server_running(DB, PORT, log) as base, chromium() as browser:
        page = browser.new_page(...)
        login(page, base, email, password)

Playwright is a development dependency, so it is imported only when a browser is launched.
"""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def shot_env(db: Path) -> dict[str, str]:
    """This process's environment pointed at the private SQLite file (never DATABASE_URL)."""
    env = dict(os.environ)
    env.update(SQLITE_PATH=str(db), DJANGO_SETTINGS_MODULE="clinicrm.config.settings")
    env.pop("DATABASE_URL", None)
    return env


def database_prepare(db: Path) -> None:
    """Start from an empty `db`, migrate it and set Django up on it in this process, so the
    script's seed can write through the ORM before the server starts."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    env = shot_env(db)
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@contextmanager
def server_running(db: Path, port: int, log: Path) -> Iterator[str]:
    """runserver on `db` at 127.0.0.1:`port` (its stderr in `log`) until the block ends; yields
    the base URL once the login page answers."""
    base = f"http://127.0.0.1:{port}"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=shot_env(db),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/entrar/", timeout=1)  # noqa: S310 - local URL
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def chromium() -> Iterator["Browser"]:
    """Debian's chromium under Playwright, closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def login(page: "Page", base: str, email: str, password: str, *, landing: str = "/") -> None:
    """Log in through the form and wait for the page the login redirects to."""
    page.goto(f"{base}/entrar/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{landing}")
