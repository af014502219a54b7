"""The fake Twilio's own contract points (docs/providers/twilio.md §9) that the client tests do not
cover."""

import httpx
import pytest

from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.fake_twilio.testing import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    SENDER,
)
from clinicrm.integrations.twilio.client import TwilioClient
from clinicrm.integrations.twilio.errors import TwilioError

PATIENT = "+5511988887777"


def test_api_key_only_valid_for_its_account(fake_twilio: FakeTwilioServer) -> None:
    other = "AC" + "1" * 32
    fake_twilio.add_account(other, "x" * 32)
    url = f"{fake_twilio.url}/2010-04-01/Accounts/{other}.json"
    resp = httpx.get(url, auth=(API_KEY_SID, API_KEY_SECRET))
    assert resp.status_code == 401
    assert resp.json()["code"] == 20003
    ok = httpx.get(
        f"{fake_twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}.json",
        auth=(API_KEY_SID, API_KEY_SECRET),
    )
    assert ok.status_code == 200


def test_create_response_shape(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.control("window", {"sender": SENDER, "user": PATIENT})
    resp = httpx.post(
        f"{fake_twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": f"whatsapp:{PATIENT}", "From": f"whatsapp:{SENDER}", "Body": "oi"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "queued" and body["price"] is None
    assert body["num_media"] == "0" and body["num_segments"] == "1"
    assert body["date_created"].endswith("+0000") and body["error_code"] is None
    service_only = httpx.post(
        f"{fake_twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": f"whatsapp:{PATIENT}", "MessagingServiceSid": "MG" + "a" * 32, "Body": "oi"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )
    assert service_only.json()["status"] == "accepted"


def test_stop_opts_out_and_start_opts_back_in(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.state.inbound_url = "http://127.0.0.1:9/x"
    fake_twilio.state.config["callback_retries"] = 0
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="STOP")
    client = TwilioClient(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    with pytest.raises(TwilioError) as err:
        client.message_create(from_=SENDER, to=PATIENT, body="oi")
    assert err.value.code == "21610"
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="voltar")
    assert client.message_create(from_=SENDER, to=PATIENT, body="oi").status == "queued"


def test_media_metadata_and_list(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.state.inbound_url = "http://127.0.0.1:9/x"
    fake_twilio.state.config["callback_retries"] = 0
    result = fake_twilio.send_inbound(type="document", **{"from": PATIENT, "to": SENDER})
    url = dict(result["params"])["MediaUrl0"]
    meta = httpx.get(url + ".json", auth=(ACCOUNT_SID, AUTH_TOKEN)).json()
    assert meta["content_type"] == "application/pdf" and meta["parent_sid"] == result["sid"]
    listing = httpx.get(url.rsplit("/", 1)[0] + ".json", auth=(ACCOUNT_SID, AUTH_TOKEN)).json()
    assert [m["sid"] for m in listing["media_list"]] == [meta["sid"]]
    redirect = httpx.get(url, auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith(fake_twilio.cdn_url)
    # A client that forwards credentials to the CDN is refused (and recorded).
    leaked = httpx.get(redirect.headers["location"], auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert leaked.status_code == 400
    clean = httpx.get(redirect.headers["location"])
    assert clean.status_code == 200 and clean.content.startswith(b"%PDF")
    assert "documento.pdf" in clean.headers["content-disposition"]


def test_async_error_toggles(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.state.config["step_delay"] = 0.01
    fake_twilio.control("window", {"sender": SENDER, "user": PATIENT})
    fake_twilio.control("number_rules", {"number": PATIENT, "async": 63003})
    client = TwilioClient(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    sid = client.message_create(from_=SENDER, to=PATIENT, body="oi").sid
    assert fake_twilio.flush(5)
    info = client.message_fetch(sid=sid)
    assert info.status == "failed" and info.error_code == "63003" and info.price == "-0.00100"
