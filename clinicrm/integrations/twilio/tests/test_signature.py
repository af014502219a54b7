"""X-Twilio-Signature: docs/providers/twilio.md §3.3 test vectors and agreement with the SDK's
RequestValidator."""

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from twilio.request_validator import RequestValidator

from clinicrm.integrations.twilio.signature import (
    public_url,
    signature_compute,
    signature_is_valid,
)

URL = "https://example.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}


def test_security_page_vector() -> None:
    got = signature_compute(url=URL, params=PARAMS, auth_token="12345")
    assert got == "L/OH5YylLD5NRKLltdqwSvS0BnU="


def test_sdk_unit_test_vector() -> None:
    params = {**PARAMS, "Caller": "+14158675309", "From": "+14158675309"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature_compute(url=url, params=params, auth_token="12345") == (
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    assert signature_is_valid(
        url=url, params=params, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=", auth_token="12345"
    )


@pytest.mark.parametrize(
    "body",
    [
        "Body=Oi%2C+tudo+bem%3F&From=whatsapp%3A%2B5511999990000&NumMedia=0",
        "MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fx&Body=&B=2&A=1&a=0&Z=%C3%A7",
        "K=2&K=1&K=1&J=%2B",  # repeated keys: sorted distinct values, like the SDK
    ],
)
def test_agrees_with_sdk_request_validator(body: str) -> None:
    token = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
    url = "https://crm.example.com/webhooks/twilio/tok/inbound/"
    params = QueryDict(body)
    sdk = RequestValidator(token)
    expected = sdk.compute_signature(url, params)
    assert signature_compute(url=url, params=params, auth_token=token) == expected
    assert signature_is_valid(url=url, params=params, signature=expected, auth_token=token)
    assert sdk.validate(url, params, signature_compute(url=url, params=params, auth_token=token))


def test_port_variants_accepted_like_sdk() -> None:
    signed = signature_compute(url="https://example.com:443/a?x=1", params=PARAMS, auth_token="k")
    assert signature_is_valid(
        url="https://example.com/a?x=1", params=PARAMS, signature=signed, auth_token="k"
    )
    assert RequestValidator("k").validate("https://example.com/a?x=1", PARAMS, signed)


@pytest.mark.parametrize(
    ("signature", "token"),
    [
        (None, "12345"),
        ("", "12345"),
        ("L/OH5YylLD5NRKLltdqwSvS0BnU=", ""),
        ("L/OH5YylLD5NRKLltdqwSvS0BnU=", None),
        ("L/OH5YylLD5NRKLltdqwSvS0BnV=", "12345"),
        ("L/OH5YylLD5NRKLltdqwSvS0BnU=", "12346"),
        ("ção", "12345"),
    ],
)
def test_invalid_or_missing(signature: str | None, token: str | None) -> None:
    assert not signature_is_valid(url=URL, params=PARAMS, signature=signature, auth_token=token)


def test_param_tampering_and_url_change_invalidate() -> None:
    good = "L/OH5YylLD5NRKLltdqwSvS0BnU="
    assert signature_is_valid(url=URL, params=PARAMS, signature=good, auth_token="12345")
    assert not signature_is_valid(
        url=URL, params={**PARAMS, "Digits": "1235"}, signature=good, auth_token="12345"
    )
    assert not signature_is_valid(
        url=URL.replace("https", "http"), params=PARAMS, signature=good, auth_token="12345"
    )
    assert not signature_is_valid(
        url=URL + "&x=", params=PARAMS, signature=good, auth_token="12345"
    )


def test_public_url_uses_setting_not_request_host(settings) -> None:
    settings.PUBLIC_BASE_URL = "https://crm.example.com"
    request = RequestFactory().post(
        "/webhooks/twilio/abc/inbound/?x=1&y=%27", HTTP_HOST="10.0.0.5:8000"
    )
    assert public_url(request) == "https://crm.example.com/webhooks/twilio/abc/inbound/?x=1&y=%27"
    request = RequestFactory().post("/webhooks/twilio/abc/status/")
    assert public_url(request) == "https://crm.example.com/webhooks/twilio/abc/status/"
