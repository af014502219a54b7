"""Who a provider address is: the canonical E.164 thread key plus the raw id kept beside it.

Inputs seen in the wild (docs/providers/evolution.md §6, docs/providers/twilio.md §3.1):
- Evolution 1:1 JID `5511988887777@s.whatsapp.net`, old 12-digit form `551188887777@s.whatsapp.net`
  (ninth digit restored by `phone_canonicalize`, so both land in one thread), a device suffix
  `5511988887777:12@s.whatsapp.net`, the legacy `@c.us`;
- `@lid` (hidden number): the phone comes from the alternative id (`remoteJidAlt`, `senderPn`)
  when present; otherwise only the LID is known and the thread key falls back to `lid:<digits>`
  (the ingest service first looks for a thread that already saw that LID);
- groups `@g.us`, `status@broadcast`, newsletters: None (ignored, stored as events only);
- Twilio `whatsapp:+5511988887777` and `WaId` digits `5511988887777`.
We never derive a JID from the canonical number: the raw id is what sends address.
"""

import re
from dataclasses import dataclass

from clinicrm.core.errors import ApplicationError
from clinicrm.people.phones import phone_canonicalize

LID_KEY_PREFIX = "lid:"
_DIGITS = re.compile(r"\D")
_IGNORED_DOMAINS = frozenset({"g.us", "broadcast", "newsletter", "call"})
_PHONE_DOMAINS = frozenset({"s.whatsapp.net", "c.us"})


@dataclass(frozen=True)
class ContactIdentity:
    thread_key: str  # "+5511988887777", or "lid:<digits>" when only the LID is known
    raw_id: str  # the phone address as the provider wrote it ("" when only a LID is known)
    lid: str = ""  # "<digits>@lid" when seen

    @property
    def has_phone(self) -> bool:
        return not self.thread_key.startswith(LID_KEY_PREFIX)


def _split(raw: str) -> tuple[str, str]:
    """("local", "domain") of an address; domain "" for bare numbers."""
    text = raw.strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if "@" not in text:
        return text, ""
    local, domain = text.rsplit("@", 1)
    # Multi-device suffix: "5511988887777:12@s.whatsapp.net".
    return local.split(":", 1)[0], domain.lower()


def phone_key(digits_or_plus: str) -> str | None:
    """Canonical E.164 for an international number written as digits (with or without '+').

    Returns None for something that is not a phone number at all.
    """
    digits = _DIGITS.sub("", digits_or_plus)
    if not 8 <= len(digits) <= 15:
        return None
    try:
        return phone_canonicalize(f"+{digits}")
    except ApplicationError:
        # Unknown numbering plan or range: still one thread per number rather than a lost message.
        return f"+{digits}"


def contact_identity(raw_id: str, alt_id: str = "") -> ContactIdentity | None:
    """Identity of a provider address (`raw_id`) with its optional alternative (`alt_id`).

    None means "not a person we thread with" (group, broadcast, garbage).
    """
    if not raw_id or not raw_id.strip():
        return None
    local, domain = _split(raw_id)
    alt_local, alt_domain = _split(alt_id) if alt_id else ("", "")
    if domain in _IGNORED_DOMAINS:
        return None
    if domain and domain not in _PHONE_DOMAINS and domain != "lid":
        return None

    lid = ""
    phone_raw = ""
    phone_digits = ""
    if domain == "lid":
        lid = f"{_DIGITS.sub('', local)}@lid"
        if alt_domain in _PHONE_DOMAINS or (alt_local and not alt_domain):
            phone_raw, phone_digits = alt_id.strip(), alt_local
    else:
        phone_raw, phone_digits = raw_id.strip(), local
        if alt_domain == "lid":
            lid = f"{_DIGITS.sub('', alt_local)}@lid"

    if phone_digits:
        key = phone_key(phone_digits)
        if key is not None:
            return ContactIdentity(thread_key=key, raw_id=phone_raw, lid=lid)
        if not lid:
            return None
    if lid:
        return ContactIdentity(
            thread_key=f"{LID_KEY_PREFIX}{lid.split('@')[0]}", raw_id="", lid=lid
        )
    return None
