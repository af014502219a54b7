"""Twilio REST client for one account (official `twilio` SDK; contract: docs/providers/twilio.md).

`TwilioClient(account_sid=..., auth_token=...)` or with an API key
(`api_key_sid=`, `api_key_secret=`; the URL still names the account SID, §1). Calls go to
`https://api.twilio.com` unless `settings.TWILIO_API_BASE_URL` points elsewhere (tests, offline
demo): the SDK's HTTP client is subclassed to rewrite the host (§2.5) and edge/region are cleared
so they cannot mangle a local host. Every failure becomes `TwilioError` (errors.py). Media
downloads use httpx, send Basic credentials only to our account's media paths on the API host,
and follow the CDN redirect without them (§2.3). Nothing here logs numbers, texts or secrets.
"""

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from clinicrm.integrations.twilio import constants as c
from clinicrm.integrations.twilio.errors import (
    OUTCOME_FAILED,
    OUTCOME_UNKNOWN,
    TwilioError,
    error_from_sdk,
    error_from_transport,
)

__all__ = ["MediaDownload", "MessageInfo", "TwilioClient", "TwilioError"]

_MEDIA_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<ac>AC[0-9a-fA-F]{32})/Messages/(?P<msg>(?:MM|SM)[0-9a-fA-F]{32})"
    r"/Media/(?P<me>ME[0-9a-fA-F]{32})$"
)
_FILENAME = re.compile(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', re.IGNORECASE)


_sdk_logger = logging.getLogger("clinicrm.integrations.twilio.sdk")
_sdk_logger.setLevel(logging.WARNING)


def api_base_url() -> str:
    return (getattr(settings, "TWILIO_API_BASE_URL", "") or c.API_BASE_URL).rstrip("/")


class _RewritingHttpClient(TwilioHttpClient):
    """The SDK's requests-based client, with the API host replaced by the configured base."""

    def __init__(self, base: str, timeout: tuple[float, float]) -> None:
        # The SDK logs every request line at INFO; keep that out of our logs (ids, no value).
        super().__init__(pool_connections=False, logger=_sdk_logger)
        self.base = base
        # Assigned after __init__: the base class validates `timeout <= 0`, which a tuple fails.
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base != c.API_BASE_URL and url.startswith(c.API_BASE_URL):
            url = self.base + url[len(c.API_BASE_URL) :]
        return super().request(method, url, *args, **kwargs)


def _dt(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class MessageInfo:
    sid: str
    status: str
    error_code: str = ""
    price: str | None = None
    price_unit: str | None = None
    num_media: int = 0
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    to: str = ""
    direction: str = ""
    body: str = field(default="", repr=False)  # personal data: never log


@dataclass(frozen=True)
class MediaDownload:
    content: bytes
    content_type: str
    filename: str = ""


def _message_info(instance: Any) -> MessageInfo:
    def attr(name: str) -> Any:
        return getattr(instance, name, None)

    sid, status = attr("sid"), attr("status")
    if not sid or not status:
        raise TwilioError("bad_response", outcome=OUTCOME_UNKNOWN)
    error_code = attr("error_code")
    try:
        num_media = int(attr("num_media") or 0)
    except (TypeError, ValueError):
        num_media = 0
    return MessageInfo(
        sid=str(sid),
        status=str(status),
        error_code="" if error_code in (None, "", 0) else str(error_code),
        price=attr("price"),
        price_unit=attr("price_unit"),
        num_media=num_media,
        date_created=_dt(attr("date_created")),
        date_updated=_dt(attr("date_updated")),
        to=str(attr("to") or ""),
        direction=str(attr("direction") or ""),
        body=str(attr("body") or ""),
    )


def whatsapp_address(number: str) -> str:
    """`whatsapp:+E164` from "+5511...", "5511..." or an address that already has the prefix."""
    text = number.strip()
    if text.lower().startswith(c.CHANNEL_PREFIX):
        return c.CHANNEL_PREFIX + text[len(c.CHANNEL_PREFIX) :]
    digits = "".join(ch for ch in text if ch.isdigit())
    return f"{c.CHANNEL_PREFIX}+{digits}"


class TwilioClient:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str = "",
        api_key_sid: str = "",
        api_key_secret: str = "",
        base_url: str | None = None,
        connect_timeout: float = c.CONNECT_TIMEOUT_SECONDS,
        read_timeout: float = c.READ_TIMEOUT_SECONDS,
    ) -> None:
        if not account_sid or not (auth_token or (api_key_sid and api_key_secret)):
            raise TwilioError("20003", status=401, outcome=OUTCOME_FAILED)
        self.account_sid = account_sid
        if api_key_sid and api_key_secret:
            self._auth = (api_key_sid, api_key_secret)
        else:
            self._auth = (account_sid, auth_token)
        self.base_url = (base_url or api_base_url()).rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._http = _RewritingHttpClient(self.base_url, self.timeout)
        self.sdk = Client(
            self._auth[0], self._auth[1], account_sid=account_sid, http_client=self._http
        )
        # TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the host (§2.5).
        self.sdk.edge = None
        self.sdk.region = None

    # --- calls ---------------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise error_from_sdk(exc) from None
        except requests.RequestException as exc:
            raise error_from_transport(exc) from None
        except ValueError:
            # A 2xx whose body is not JSON: the request reached Twilio, the effect is unclear.
            raise TwilioError("bad_response", outcome=OUTCOME_UNKNOWN) from None

    def message_create(
        self,
        *,
        from_: str,
        to: str,
        body: str | None = None,
        media_urls: Sequence[str] | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
        status_callback: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> MessageInfo:
        kwargs: dict[str, Any] = {"to": whatsapp_address(to)}
        if from_:
            kwargs["from_"] = whatsapp_address(from_)
        if messaging_service_sid:
            kwargs["messaging_service_sid"] = messaging_service_sid
        if content_sid:
            # Templates: drop Body/MediaUrl, values go in ContentVariables (a JSON string).
            kwargs["content_sid"] = content_sid
            if content_variables:
                kwargs["content_variables"] = json.dumps(content_variables, ensure_ascii=False)
        else:
            if body:
                kwargs["body"] = body
            if media_urls:
                kwargs["media_url"] = list(media_urls)
        if status_callback:
            kwargs["status_callback"] = status_callback
        instance = self._call(self.sdk.messages.create, **kwargs)
        return _message_info(instance)

    def message_fetch(self, *, sid: str) -> MessageInfo:
        instance = self._call(self.sdk.messages(sid).fetch)
        return _message_info(instance)

    def message_list(
        self, *, to: str, from_: str = "", sent_since: dt.date, page_size: int = 200
    ) -> list[MessageInfo]:
        """Every message to `to` (from `from_` when given) sent on or after the day `sent_since`,
        newest first: all pages, no limit (`next_page_uri` until there is none). The filter is
        a date; callers compare `date_created` themselves."""
        kwargs: dict[str, Any] = {"to": whatsapp_address(to), "date_sent_after": sent_since}
        if from_:
            kwargs["from_"] = whatsapp_address(from_)

        def walk() -> list[Any]:
            # The SDK's list follows next_page_uri; paging errors surface inside this call.
            return list(self.sdk.messages.stream(page_size=page_size, **kwargs))

        records = self._call(walk)
        return [_message_info(r) for r in records]

    def account_verify(self) -> dict[str, str]:
        """Fetch the account: proves the credentials. Returns its status and friendly name."""
        account = self._call(self.sdk.api.v2010.accounts(self.account_sid).fetch)
        return {
            "sid": str(getattr(account, "sid", "") or ""),
            "status": str(getattr(account, "status", "") or ""),
            "friendly_name": str(getattr(account, "friendly_name", "") or ""),
        }

    # --- media ---------------------------------------------------------------------------------
    def _media_url_allowed(self, url: str) -> bool:
        """Our credentials go only to this account's media path on the API host (§2.3)."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        allowed_hosts = {base.netloc.lower()} | set(c.MEDIA_AUTH_HOSTS)
        if parts.netloc.lower() not in allowed_hosts or parts.query or parts.fragment:
            return False
        if parts.netloc.lower() == base.netloc.lower() and parts.scheme != base.scheme:
            return False
        if parts.netloc.lower() in c.MEDIA_AUTH_HOSTS and parts.scheme != "https":
            return False
        match = _MEDIA_PATH.match(parts.path)
        return bool(match and match.group("ac") == self.account_sid)

    def media_download(
        self, *, url: str, max_bytes: int = c.MAX_MEDIA_BYTES, max_redirects: int = 3
    ) -> MediaDownload:
        if not self._media_url_allowed(url):
            raise TwilioError("media_forbidden", outcome=OUTCOME_FAILED)
        if url.startswith(c.API_BASE_URL) and self.base_url != c.API_BASE_URL:
            url = self.base_url + url[len(c.API_BASE_URL) :]
        timeout = httpx.Timeout(self.timeout[1], connect=self.timeout[0])
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            current = url
            auth: httpx.BasicAuth | None = httpx.BasicAuth(*self._auth)
            for _ in range(max_redirects + 1):
                try:
                    with http.stream("GET", current, auth=auth) as resp:
                        if resp.is_redirect:
                            location = resp.headers.get("location", "")
                            if not location:
                                raise TwilioError("media_unavailable", status=resp.status_code)
                            current = urljoin(current, location)
                            # Never forward credentials to the redirect target (the CDN).
                            auth = None
                            continue
                        return self._read_media(resp, max_bytes)
                except httpx.TimeoutException:
                    raise TwilioError("timeout", outcome=OUTCOME_UNKNOWN) from None
                except httpx.HTTPError:
                    raise TwilioError("media_unavailable", outcome=OUTCOME_UNKNOWN) from None
        raise TwilioError("media_unavailable", outcome=OUTCOME_FAILED)

    @staticmethod
    def _read_media(resp: httpx.Response, max_bytes: int) -> MediaDownload:
        if resp.status_code >= 400:
            code = "20003" if resp.status_code == 401 else "media_unavailable"
            raise TwilioError(code, status=resp.status_code)
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise TwilioError("media_too_large", status=resp.status_code)
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise TwilioError("media_too_large", status=resp.status_code)
            chunks.append(chunk)
        content_type = resp.headers.get("content-type", "application/octet-stream")
        content_type = content_type.split(";", 1)[0].strip().lower()
        match = _FILENAME.search(resp.headers.get("content-disposition", ""))
        return MediaDownload(
            content=b"".join(chunks),
            content_type=content_type,
            filename=match.group(1).strip() if match else "",
        )


__all__ += ["OUTCOME_FAILED", "OUTCOME_UNKNOWN", "api_base_url", "whatsapp_address"]
