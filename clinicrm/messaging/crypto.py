"""Encryption at rest for channel secrets (Evolution apikey, Twilio auth token / API key secret).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`. The key comes from
`settings.FIELD_ENCRYPTION_KEY` (one or more comma-separated Fernet keys, the first encrypts,
all decrypt: rotation without downtime) or, when that is empty, is derived from SECRET_KEY with
HKDF so a development install works without extra configuration.
"""

import base64
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretDecryptError(Exception):
    """The stored secrets cannot be read with the configured keys (rotated away or tampered)."""


def _derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"clinicrm-field-encryption", info=b"v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@cache
def _fernet(configured: str, secret_key: str) -> MultiFernet:
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    if not keys:
        keys = [_derived_key(secret_key).decode()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "", settings.SECRET_KEY)


def secrets_encrypt(data: dict[str, Any]) -> str:
    """Encrypt a small dict of secrets into a text token (empty dict -> empty string)."""
    if not data:
        return ""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return _current().encrypt(raw).decode()


def secrets_decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        raw = _current().decrypt(token.encode())
    except InvalidToken as exc:
        raise SecretDecryptError("channel secrets cannot be decrypted") from exc
    value = json.loads(raw)
    return value if isinstance(value, dict) else {}
