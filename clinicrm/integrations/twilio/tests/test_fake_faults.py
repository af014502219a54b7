"""The fake Twilio behaves like the provider under faults: queued faults apply one per create in
the order they were queued, messages survive a restart of the fake, and the message list is
paged (`next_page_uri`) like the real API."""

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.fake_twilio.testing import ACCOUNT_SID, AUTH_TOKEN, SENDER

PATIENT = "+5511988887777"
AUTH = (ACCOUNT_SID, AUTH_TOKEN)


def _messages_url(fake: FakeTwilioServer) -> str:
    return f"{fake.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def _create(fake: FakeTwilioServer, body: str, timeout: float = 10.0) -> httpx.Response:
    form = {"To": f"whatsapp:{PATIENT}", "From": f"whatsapp:{SENDER}", "Body": body}
    return httpx.post(_messages_url(fake), data=form, auth=AUTH, timeout=timeout)


def _count(fake: FakeTwilioServer) -> int:
    with fake.state.lock:
        return sum(1 for m in fake.state.messages.values() if "sid" in m)


def test_queued_faults_apply_one_per_create_in_order(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.control("window", {"sender": SENDER, "user": PATIENT})
    faults: list[dict[str, Any]] = [
        {"mode": "timeout", "seconds": 0.05},  # created, answered late (our client waits)
        {"mode": "slow", "seconds": 0.05},  # created, answered late but answered
        {"code": 21610, "status": 400},
        {"status": 503},  # before create
        {"status": 503, "after_create": True},
        {"mode": "timeout", "seconds": 0.05, "create": False},  # hung, nothing created
    ]
    for fault in faults:
        fake_twilio.control("fail_next", fault)
    seen = []
    for n in range(len(faults) + 1):
        before = _count(fake_twilio)
        resp = _create(fake_twilio, f"mensagem {n}")
        seen.append((resp.status_code, _count(fake_twilio) - before))
    assert seen == [(201, 1), (201, 1), (400, 0), (503, 0), (503, 1), (500, 0), (201, 1)]
    assert fake_twilio.state.fail_next == []


def test_messages_survive_a_restart_and_keep_progressing(tmp_path: Path) -> None:
    first = FakeTwilioServer(accounts={ACCOUNT_SID: AUTH_TOKEN}, data_dir=tmp_path).start()
    try:
        # Callbacks far in the future: the fake dies before any status change.
        first.state.config["step_delay"] = 3600
        first.control("window", {"sender": SENDER, "user": PATIENT})
        created = _create(first, "Até amanhã").json()
    finally:
        first.stop()

    second = FakeTwilioServer(accounts={ACCOUNT_SID: AUTH_TOKEN}, data_dir=tmp_path)
    second.state.config["step_delay"] = 0.01
    second.start()
    try:
        fetch = f"{second.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{created['sid']}.json"
        kept = httpx.get(fetch, auth=AUTH).json()
        assert kept["sid"] == created["sid"] and kept["date_created"] == created["date_created"]
        assert second.state.window_open(SENDER, PATIENT)  # the 24-hour window too
        # The provider keeps moving its message towards its last status after the restart.
        assert second.flush(10)
        assert httpx.get(fetch, auth=AUTH).json()["status"] == "read"
        listed = httpx.get(_messages_url(second), params={"To": f"whatsapp:{PATIENT}"}, auth=AUTH)
        assert [m["sid"] for m in listed.json()["messages"]] == [created["sid"]]
    finally:
        second.stop()


def test_reset_forgets_the_stored_messages(tmp_path: Path) -> None:
    with FakeTwilioServer(accounts={ACCOUNT_SID: AUTH_TOKEN}, data_dir=tmp_path) as fake:
        fake.control("window", {"sender": SENDER, "user": PATIENT})
        assert _create(fake, "oi").status_code == 201
        fake.control("reset", {})
    with FakeTwilioServer(accounts={ACCOUNT_SID: AUTH_TOKEN}, data_dir=tmp_path) as fake:
        assert _count(fake) == 0


def test_list_is_paged_newest_first_and_never_skips(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.state.config["auto_progress"] = "none"
    fake_twilio.control("window", {"sender": SENDER, "user": PATIENT})
    sids = [_create(fake_twilio, f"m{n}").json()["sid"] for n in range(7)]
    query = urlencode({"To": f"whatsapp:{PATIENT}", "PageSize": 3})
    url: str | None = f"{_messages_url(fake_twilio)}?{query}"
    pages: list[list[str]] = []
    while url:
        page = httpx.get(url, auth=AUTH).json()
        pages.append([m["sid"] for m in page["messages"]])
        if len(pages) == 1:
            # A message created while the caller walks the pages does not push one out.
            _create(fake_twilio, "nova")
        nxt = page["next_page_uri"]
        url = f"{fake_twilio.url}{nxt}" if nxt else None
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [sid for p in pages for sid in p] == list(reversed(sids))
