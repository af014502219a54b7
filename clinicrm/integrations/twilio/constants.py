"""Twilio WhatsApp facts shared by the client, webhooks, handlers and the fake
(contract: docs/providers/twilio.md)."""

PROVIDER = "twilio"

API_BASE_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
CHANNEL_PREFIX = "whatsapp:"

# Seconds: connecting should be quick; a read timeout after the request was written means the
# message may exist (unknown outcome), so keep it generous but bounded.
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 20.0
# Messages per page when reconciliation lists a contact's messages (Twilio allows up to 1000).
LIST_PAGE_SIZE = 200

# Stored InboundEvent.event_type values. Status callbacks are typed by their MessageStatus so
# an unknown status falls through the HANDLERS dict and is stored + acknowledged + ignored.
EVENT_INBOUND = "message.inbound"
EVENT_STATUS_PREFIX = "status."

# Twilio MessageStatus -> messaging MessageStatus value (None: not a change we record).
STATUS_MAP: dict[str, str | None] = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": None,
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
}

# Media limits (docs/providers/twilio.md §2.3): 16 MB per WhatsApp message, images 5 MB.
MAX_MEDIA_BYTES = 16 * 1024 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024

# Hosts whose media paths may receive our Basic credentials (never a CDN redirect target).
MEDIA_AUTH_HOSTS = frozenset({"api.twilio.com"})

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
