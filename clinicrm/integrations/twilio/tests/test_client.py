"""TwilioClient (official SDK) against the fake Twilio over real HTTP."""

import json

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

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


def client(**kw) -> TwilioClient:
    return TwilioClient(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, **kw)


def open_window(fake: FakeTwilioServer, user: str = PATIENT) -> None:
    fake.control("window", {"sender": SENDER, "user": user})


def last_form(fake: FakeTwilioServer) -> list[tuple[str, str]]:
    return fake.state.api_requests[-1]["form"]


def test_send_text_inside_window(fake_twilio: FakeTwilioServer) -> None:
    open_window(fake_twilio)
    info = client().message_create(
        from_=SENDER, to=PATIENT, body="Olá!", status_callback="http://crm.test/cb/"
    )
    assert info.sid.startswith("SM") and len(info.sid) == 34
    assert info.status == "queued"
    form = dict(last_form(fake_twilio))
    assert form["To"] == "whatsapp:+5511988887777"
    assert form["From"] == "whatsapp:+5511999990002"
    assert form["StatusCallback"] == "http://crm.test/cb/"
    fetched = client().message_fetch(sid=info.sid)
    assert fetched.sid == info.sid


def test_api_key_auth_and_account_verify(fake_twilio: FakeTwilioServer) -> None:
    c = TwilioClient(
        account_sid=ACCOUNT_SID, api_key_sid=API_KEY_SID, api_key_secret=API_KEY_SECRET
    )
    assert c.account_verify()["sid"] == ACCOUNT_SID
    with pytest.raises(TwilioError) as err:
        TwilioClient(account_sid=ACCOUNT_SID, auth_token="wrong" * 7).account_verify()
    assert err.value.code == "20003" and err.value.status == 401 and err.value.provable
    assert "credenciais" in err.value.message_pt_br.lower()


def test_window_closed_is_async_63016(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.state.config["step_delay"] = 0.01
    info = client().message_create(from_=SENDER, to=PATIENT, body="fora da janela")
    assert info.status == "queued"  # accepted now, fails later (docs/providers/twilio.md §4.2)
    assert fake_twilio.flush(5)
    fetched = client().message_fetch(sid=info.sid)
    assert fetched.status == "undelivered"
    assert fetched.error_code == "63016"
    assert fetched.price == "0.00000"


def test_template_allowed_outside_window(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.state.config["step_delay"] = 0.01
    sid = "HX" + "a" * 32
    info = client().message_create(
        from_=SENDER, to=PATIENT, content_sid=sid, content_variables={"1": "12/1", "2": "15h"}
    )
    form = last_form(fake_twilio)
    keys = [k for k, _ in form]
    assert "Body" not in keys and "MediaUrl" not in keys
    assert json.loads(dict(form)["ContentVariables"]) == {"1": "12/1", "2": "15h"}
    assert fake_twilio.flush(5)
    fetched = client().message_fetch(sid=info.sid)
    assert fetched.status == "read" and fetched.error_code == ""
    assert fetched.price == "-0.00500"


def test_media_urls_repeat(fake_twilio: FakeTwilioServer) -> None:
    open_window(fake_twilio)
    info = client().message_create(
        from_=SENDER, to=PATIENT, body="legenda", media_urls=["http://x/a.jpg", "http://x/b.pdf"]
    )
    assert info.sid.startswith("MM")
    assert [v for k, v in last_form(fake_twilio) if k == "MediaUrl"] == [
        "http://x/a.jpg",
        "http://x/b.pdf",
    ]


@pytest.mark.parametrize(
    ("code", "status", "fragment"),
    [
        (21211, 400, "inválido"),
        (21408, 400, "inválido"),
        (21610, 400, "não receber"),
        (21614, 400, "inválido"),
        (20429, 429, "muitas mensagens"),
    ],
)
def test_sync_errors_are_provable(fake_twilio, code, status, fragment) -> None:
    fake_twilio.control("fail_next", {"code": code, "status": status})
    with pytest.raises(TwilioError) as err:
        client().message_create(from_=SENDER, to=PATIENT, body="x")
    assert err.value.code == str(code) and err.value.status == status
    assert err.value.provable
    assert fragment in err.value.message_pt_br.lower()
    assert not any(m for m in fake_twilio.state.messages if not m.startswith("in:"))


def test_sdk_raises_twilio_rest_exception_with_code(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.control("fail_next", {"code": 21211, "status": 400})
    sdk = Client(ACCOUNT_SID, AUTH_TOKEN)
    sdk.api.base_url = fake_twilio.url
    with pytest.raises(TwilioRestException) as err:
        sdk.messages.create(to="whatsapp:+123", from_="whatsapp:+5511999990002", body="x")
    assert err.value.code == 21211 and err.value.status == 400


def test_invalid_to_and_missing_body_validated_by_fake(fake_twilio: FakeTwilioServer) -> None:
    with pytest.raises(TwilioError) as err:
        client().message_create(from_=SENDER, to="12", body="x")
    assert err.value.code == "21211" and err.value.provable
    with pytest.raises(TwilioError) as err:
        client().message_create(from_=SENDER, to=PATIENT)
    assert err.value.code == "21619"


def test_5xx_is_unknown_outcome(fake_twilio: FakeTwilioServer) -> None:
    fake_twilio.control("fail_next", {"status": 500})
    with pytest.raises(TwilioError) as err:
        client().message_create(from_=SENDER, to=PATIENT, body="x")
    assert err.value.status == 500 and not err.value.provable
    assert "indisponível" in err.value.message_pt_br


def test_read_timeout_is_unknown_outcome(fake_twilio: FakeTwilioServer) -> None:
    open_window(fake_twilio)
    fake_twilio.control("fail_next", {"mode": "timeout", "seconds": 1.5})
    with pytest.raises(TwilioError) as err:
        client(read_timeout=0.3).message_create(from_=SENDER, to=PATIENT, body="x")
    assert err.value.code == "timeout" and not err.value.provable
    # The message was in fact created: exactly why a timeout must not refund.
    assert len([m for m in fake_twilio.state.messages if not m.startswith("in:")]) == 1


def test_connection_refused_is_provable(settings) -> None:
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(TwilioError) as err:
        client().message_create(from_=SENDER, to=PATIENT, body="x")
    assert err.value.code == "unreachable" and err.value.provable


def _inbound_media_url(fake: FakeTwilioServer, content: bytes, ctype: str) -> str:
    import base64

    fake.state.inbound_url = "http://127.0.0.1:9/unused"
    fake.state.config["callback_retries"] = 0
    result = fake.send_inbound(
        type="image",
        media=[
            {
                "content_type": ctype,
                "data": base64.b64encode(content).decode(),
                "filename": "foto.jpg",
            }
        ],
    )
    return dict(result["params"])["MediaUrl0"]


def test_media_download_follows_redirect_without_leaking_credentials(fake_twilio) -> None:
    url = _inbound_media_url(fake_twilio, b"\xff\xd8jpegbytes", "image/jpeg")
    media = client().media_download(url=url)
    assert media.content == b"\xff\xd8jpegbytes"
    assert media.content_type == "image/jpeg"
    assert media.filename == "foto.jpg"
    cdn = fake_twilio.state.cdn_requests
    assert len(cdn) == 1
    assert "authorization" not in cdn[0]["headers"]


def test_media_requires_auth_on_api_host(fake_twilio) -> None:
    import httpx

    url = _inbound_media_url(fake_twilio, b"x", "image/png")
    assert httpx.get(url).status_code == 401
    with pytest.raises(TwilioError) as err:
        TwilioClient(account_sid=ACCOUNT_SID, auth_token="bad" * 11).media_download(url=url)
    assert err.value.code == "20003"
    assert fake_twilio.state.cdn_requests == []


def test_media_url_of_another_host_or_account_gets_no_credentials(fake_twilio) -> None:
    url = _inbound_media_url(fake_twilio, b"x", "image/png")
    for bad in (
        url.replace(fake_twilio.url, fake_twilio.cdn_url),
        url.replace(ACCOUNT_SID, "AC" + "9" * 32),
        "https://evil.example/2010-04-01/Accounts/" + url.split("/Accounts/")[1],
        url + "?x=1",
    ):
        with pytest.raises(TwilioError) as err:
            client().media_download(url=bad)
        assert err.value.code == "media_forbidden"
    assert fake_twilio.state.cdn_requests == []


def test_media_size_limit(fake_twilio) -> None:
    url = _inbound_media_url(fake_twilio, b"a" * 2048, "image/png")
    with pytest.raises(TwilioError) as err:
        client().media_download(url=url, max_bytes=1024)
    assert err.value.code == "media_too_large"
