"""client.py against the fake Evolution over real HTTP: lifecycle, sends, media, error mapping."""

import base64
import json

import httpx
import pytest

from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY
from clinicrm.devtools.fake_evolution.testing import INSTANCE, INSTANCE_TOKEN
from clinicrm.integrations.evolution.client import EvolutionClient, EvolutionError
from clinicrm.integrations.evolution.errors import error_from_response


def _client(fake, *, apikey=INSTANCE_TOKEN, timeout=5.0):
    return EvolutionClient(
        base_url=fake.url,
        instance=INSTANCE,
        apikey=apikey,
        global_apikey=GLOBAL_APIKEY,
        timeout=timeout,
    )


@pytest.fixture
def open_instance(fake_evolution):
    return fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)


def test_create_connect_scan_state_logout_delete(fake_evolution):
    client = _client(fake_evolution)
    created = client.instance_create(token=INSTANCE_TOKEN, qrcode=True)
    assert created["hash"] == INSTANCE_TOKEN
    assert created["instance"]["status"] == "connecting"
    assert created["qrcode"]["base64"].startswith("data:image/png;base64,")
    assert client.connection_state() == "connecting"
    first = client.connect()
    assert first.state == "connecting" and first.qrcode and first.qrcode.base64
    fake_evolution.control(f"scan/{INSTANCE}", {}, {"number": "5511988887777"})
    assert client.connection_state() == "open"
    assert client.connect().state == "open"
    client.logout()
    assert client.connection_state() == "close"
    client.logout()  # already closed: 400 on 2.3.x, treated as done
    client.delete()
    with pytest.raises(EvolutionError) as exc:
        client.connection_state()
    assert exc.value.code == "instance_not_found" and exc.value.status == 404


def test_pairing_code_when_number_given(fake_evolution):
    client = _client(fake_evolution)
    client.instance_create(token=INSTANCE_TOKEN, qrcode=False)
    result = client.connect(number="+55 (11) 98888-7777")
    assert result.qrcode is not None and len(result.qrcode.pairing_code or "") == 8


def test_create_needs_global_key_and_unique_name(fake_evolution):
    with pytest.raises(EvolutionError) as exc:
        EvolutionClient(base_url=fake_evolution.url, instance="x", apikey="wrong").instance_create()
    assert exc.value.code == "unauthorized"
    client = _client(fake_evolution)
    client.instance_create(token=INSTANCE_TOKEN, qrcode=False)
    with pytest.raises(EvolutionError) as exc:
        client.instance_create(token=INSTANCE_TOKEN, qrcode=False)
    assert exc.value.code == "name_taken"
    assert "Já existe" in exc.value.message_pt_br


def test_wrong_instance_key_is_unauthorized(fake_evolution, open_instance):
    with pytest.raises(EvolutionError) as exc:
        _client(fake_evolution, apikey="not-the-key").connection_state()
    assert exc.value.code == "unauthorized" and exc.value.status == 401
    assert exc.value.provable


def test_webhook_set_nested_body_and_events(fake_evolution, open_instance):
    client = _client(fake_evolution)
    row = client.webhook_set(
        url="http://crm.test/webhooks/evolution/tok/", by_events=True, headers={"apikey": "k"}
    )
    assert row["webhookByEvents"] is True and row["events"][0] == "MESSAGES_UPSERT"
    assert client.webhook_find()["url"] == "http://crm.test/webhooks/evolution/tok/"
    with pytest.raises(EvolutionError):
        client.webhook_set(url="http://x", events=["messages.upsert"])


def test_send_text_returns_key_and_resolved_jid(fake_evolution, open_instance):
    fake_evolution.control("config", {}, {"legacy_jid": ["5531987654321"]})
    result = _client(fake_evolution).send_text(number="+55 31 98765-4321", text="Olá")
    assert result.key_id.startswith("3EB0") and len(result.key_id) == 22
    assert result.remote_jid == "553187654321@s.whatsapp.net"
    assert result.status == "PENDING"


def test_send_media_voice_and_download_round_trip(fake_evolution, open_instance):
    client = _client(fake_evolution)
    pdf = b"%PDF-1.4 receita"
    sent = client.send_media(
        number="5511999999999", mediatype="document", media=pdf, file_name="receita.pdf",
        caption="Sua receita",
    )  # fmt: skip
    assert sent.message_type == "documentMessage"
    media = client.media_download(key_id=sent.key_id)
    assert media.content == pdf and media.mimetype == "application/pdf"
    assert media.file_name == "receita.pdf"
    voice = client.send_voice(number="5511999999999", audio=b"OggS-voice")
    assert voice.message_type == "audioMessage"
    assert client.media_download(key_id=voice.key_id).content == b"OggS-voice"


def test_inbound_media_downloadable_with_full_message(fake_evolution, open_instance):
    data = fake_evolution.inbound(INSTANCE, type="image", caption="Pedido médico")
    media = _client(fake_evolution).media_download(key_id=data["key"]["id"], message=data)
    assert media.mimetype == "image/jpeg" and media.content[:2] == b"\xff\xd8"
    assert media.caption == "Pedido médico"


def test_media_download_failures(fake_evolution, open_instance):
    client = _client(fake_evolution)
    with pytest.raises(EvolutionError) as exc:
        client.media_download(key_id="NOPE")
    assert exc.value.code == "media_unavailable"
    text = client.send_text(number="5511999999999", text="oi")
    with pytest.raises(EvolutionError) as exc:
        client.media_download(key_id=text.key_id)
    assert exc.value.code == "media_unavailable"


def test_number_not_on_whatsapp_is_provable(fake_evolution, open_instance):
    with pytest.raises(EvolutionError) as exc:
        _client(fake_evolution).send_text(number="5511900000000", text="Olá")
    assert exc.value.code == "not_on_whatsapp"
    assert exc.value.message_pt_br == "Este número não tem WhatsApp."
    assert exc.value.provable and exc.value.status == 400


def test_whatsapp_numbers(fake_evolution, open_instance):
    fake_evolution.control("config", {}, {"legacy_jid": ["5531987654321"]})
    rows = _client(fake_evolution).whatsapp_numbers(numbers=["5531987654321", "5511900000000"])
    assert rows[0] == {
        "jid": "553187654321@s.whatsapp.net", "exists": True, "number": "5531987654321"
    }  # fmt: skip
    assert rows[1]["exists"] is False


def test_disconnected_instance_send_is_provable_500(fake_evolution):
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN).state = "close"
    for form in ("string", "array"):
        fake_evolution.control("config", {}, {"fail_form": form})
        with pytest.raises(EvolutionError) as exc:
            _client(fake_evolution).send_text(number="5511999999999", text="Olá")
        assert exc.value.code == "disconnected" and exc.value.status == 500
        assert exc.value.provable
        assert "desconectado" in exc.value.message_pt_br


def test_injected_5xx_is_unknown_for_sends_only(fake_evolution, open_instance):
    fake_evolution.control("config", {}, {"fail_next": [502, 502]})
    with pytest.raises(EvolutionError) as exc:
        _client(fake_evolution).send_text(number="5511999999999", text="Olá")
    assert exc.value.outcome == "unknown"
    with pytest.raises(EvolutionError) as exc:
        _client(fake_evolution).connection_state()
    assert exc.value.outcome == "failed"


def test_timeout_after_send_is_unknown_and_the_message_exists(fake_evolution, open_instance):
    fake_evolution.control("config", {}, {"hang_next": 1, "hang_seconds": 2.0})
    with pytest.raises(EvolutionError) as exc:
        _client(fake_evolution, timeout=0.5).send_text(number="5511999999999", text="Olá")
    assert exc.value.code == "timeout" and exc.value.outcome == "unknown"
    assert not exc.value.provable
    # The fake did send it: the outcome really was unknown, not failed.
    assert len(fake_evolution.control(f"messages/{INSTANCE}", {}, {})["data"]) == 1


def test_unreachable_server_is_provable():
    client = EvolutionClient(base_url="http://127.0.0.1:9", instance="x", apikey="k")
    with pytest.raises(EvolutionError) as exc:
        client.send_text(number="5511999999999", text="Olá")
    assert exc.value.code == "unreachable" and exc.value.provable


def test_validation_errors(fake_evolution, open_instance):
    client = _client(fake_evolution)
    with pytest.raises(EvolutionError) as exc:
        client.send_text(number="5511999999999", text="  ")
    assert exc.value.code == "validation"
    with pytest.raises(EvolutionError):
        client.send_media(number="1", mediatype="image", media="x", file_name="semextensao")


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}},
         "unauthorized"),
        (400, {"status": 400, "error": "Bad Request",
               "response": {"message": [['instance requires property "text"']]}}, "validation"),
        (400, {"status": 400, "error": "Bad Request", "message": [
            {"jid": "5511900000000@s.whatsapp.net", "exists": False, "number": "5511900000000"}]},
         "not_on_whatsapp"),
        (400, {}, "bad_request"),
        (500, {"status": 500, "error": "Internal Server Error",
               "response": {"message": "Connection Closed"}}, "disconnected"),
        (500, {"status": 500, "error": "Internal Server Error", "response": {
            "message": "Cannot read properties of undefined (reading 'textMessage')"}},
         "disconnected"),
        (503, {"error": "service not activated", "code": "LICENSE_REQUIRED"}, "license_required"),
        (429, None, "rate_limited"),
        (502, b"<html>bad gateway</html>", "provider_down"),
        (400, {"status": 400, "error": "Bad Request",
               "response": {"message": ["Message not found"]}}, "media_unavailable"),
    ],
)  # fmt: skip
def test_error_envelope_forms(status, body, code):
    if isinstance(body, bytes):
        content = body
    else:
        content = b"" if body is None else json.dumps(body).encode()
    response = httpx.Response(status, content=content)
    err = error_from_response(response, is_send=True)
    assert err.code == code
    assert err.outcome == ("unknown" if code == "provider_down" else "failed")


def test_license_gate_on_240(fake_evolution, open_instance):
    fake_evolution.control("config", {}, {"version": "2.4.0", "licensed": False})
    with pytest.raises(EvolutionError) as exc:
        _client(fake_evolution).connection_state()
    assert exc.value.code == "license_required"


def test_media_field_strips_data_uri(fake_evolution, open_instance):
    raw = base64.b64encode(b"\xff\xd8\xffjpeg").decode()
    sent = _client(fake_evolution).send_media(
        number="5511999999999", mediatype="image", media=f"data:image/jpeg;base64,{raw}",
        file_name="foto.jpg",
    )  # fmt: skip
    assert sent.message_type == "imageMessage"
