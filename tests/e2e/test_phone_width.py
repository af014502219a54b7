"""At phone width (390 px) on the demo data: the dashboard and the patient list do not scroll
sideways (the table fits), and the clinic selector in the top bar shows the clinic's name, not a
bare arrow. Screenshots of both pages."""

import re
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from clinicrm.devtools.seed import DEMO_PASSWORD, seed_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


WIDEST = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 8)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


OVERLAPS = """() => {
  const sel = document.querySelector('#tenant-switch');
  if (!sel) return [];
  const a = sel.getBoundingClientRect();
  return Array.from(document.querySelectorAll('.topbar button, .topbar summary, .topbar a'))
    .filter(e => e.offsetParent !== null)
    .filter(e => { const b = e.getBoundingClientRect();
      return b.left < a.right && b.right > a.left && b.top < a.bottom && b.bottom > a.top; })
    .map(e => e.className || e.tagName);
}"""


def _overflow(page: Page) -> int:
    over = int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))
    if over > 0:
        print("wider than the screen:", page.evaluate(WIDEST))
    return over


def test_phone_width_dashboard_patients_and_clinic_selector(
    page: Page, asgi_url: str, screenshot_dir: Path
) -> None:
    migration = import_module("clinicrm.people.migrations.0002_seed_contact_types")
    migration.seed(django_apps, None)  # migration data, emptied by earlier transactional tests
    seed_demo()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{asgi_url}/entrar/")
    page.get_by_label("E-mail").fill("dona@bemestar.demo")
    page.get_by_label("Senha").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))
    expect(page.locator("[data-notifier-ready]")).to_be_attached()
    page.screenshot(path=str(screenshot_dir / "dashboard_390.png"), full_page=True)
    switch = page.locator("#tenant-switch")
    if switch.count():
        box = switch.bounding_box()
        assert box is not None and box["width"] >= 90, f"clinic selector is {box}"
    assert _overflow(page) <= 0, "the dashboard scrolls sideways"
    # Nothing in the top bar overlaps the clinic selector (it used to shrink under the icons).
    overlaps = page.evaluate(OVERLAPS)
    assert not overlaps, f"the clinic selector overlaps {overlaps}"
    # The table of today's appointments fits its card (the status column is not cut off).
    cut = page.evaluate(
        "Array.from(document.querySelectorAll('#dashboard-today .table-wrap'))"
        ".map(w => w.scrollWidth - w.clientWidth)"
    )
    assert all(px <= 0 for px in cut), f"today's table is cut by {cut}px"

    page.goto(f"{asgi_url}/pacientes/")
    expect(page.get_by_role("heading", name="Pacientes")).to_be_visible()
    assert _overflow(page) <= 0, "the patient list scrolls sideways"
    table = page.locator("table.table").first
    box = table.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(screenshot_dir / "patients_390.png"), full_page=True)
