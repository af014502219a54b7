"""Names and values of the Evolution API v2 contract (docs/providers/evolution.md)."""

PROVIDER = "evolution"

INTEGRATION_BAILEYS = "WHATSAPP-BAILEYS"

# Event names as they appear in the webhook body (`event`), dotted lower case (§3.2).
MESSAGES_UPSERT = "messages.upsert"
MESSAGES_UPDATE = "messages.update"
MESSAGES_DELETE = "messages.delete"
SEND_MESSAGE = "send.message"
CONNECTION_UPDATE = "connection.update"
QRCODE_UPDATED = "qrcode.updated"
STATUS_INSTANCE = "status.instance"
LOGOUT_INSTANCE = "logout.instance"

# What the CRM subscribes to (UPPER_SNAKE: the config schema rejects dotted names).
WEBHOOK_EVENTS = [
    "MESSAGES_UPSERT",
    "MESSAGES_UPDATE",
    "SEND_MESSAGE",
    "CONNECTION_UPDATE",
    "QRCODE_UPDATED",
]

# Every value the webhook config accepts (event.controller, 2.3.7).
ALLOWED_WEBHOOK_EVENTS = frozenset(
    {
        "APPLICATION_STARTUP",
        "QRCODE_UPDATED",
        "MESSAGES_SET",
        "MESSAGES_UPSERT",
        "MESSAGES_EDITED",
        "MESSAGES_UPDATE",
        "MESSAGES_DELETE",
        "SEND_MESSAGE",
        "SEND_MESSAGE_UPDATE",
        "CONTACTS_SET",
        "CONTACTS_UPSERT",
        "CONTACTS_UPDATE",
        "PRESENCE_UPDATE",
        "CHATS_SET",
        "CHATS_UPSERT",
        "CHATS_UPDATE",
        "CHATS_DELETE",
        "GROUPS_UPSERT",
        "GROUP_UPDATE",
        "GROUP_PARTICIPANTS_UPDATE",
        "CONNECTION_UPDATE",
        "LABELS_EDIT",
        "LABELS_ASSOCIATION",
        "CALL",
        "TYPEBOT_START",
        "TYPEBOT_CHANGE_STATUS",
        "REMOVE_INSTANCE",
        "LOGOUT_INSTANCE",
        "INSTANCE_CREATE",
        "INSTANCE_DELETE",
        "STATUS_INSTANCE",
    }
)


def event_config_name(event: str) -> str:
    """`messages.upsert` -> `MESSAGES_UPSERT` (webhook.controller#emit)."""
    return event.replace(".", "_").replace("-", "_").upper()


def event_suffix(event: str) -> str:
    """`messages.upsert` -> `messages-upsert`: the path suffix used when byEvents is on."""
    return event_config_name(event).replace("_", "-").lower()


def event_from_suffix(suffix: str) -> str:
    """`messages-upsert` -> `messages.upsert` (the body's `event` stays authoritative)."""
    return suffix.strip("/").replace("-", ".").lower()


# Delivery status (utils/renderStatus.ts), ranked so a status never moves backwards (§4.2).
STATUS_ERROR = "ERROR"
STATUS_PENDING = "PENDING"
STATUS_SERVER_ACK = "SERVER_ACK"
STATUS_DELIVERY_ACK = "DELIVERY_ACK"
STATUS_READ = "READ"
STATUS_PLAYED = "PLAYED"
STATUS_DELETED = "DELETED"

STATUS_RANK = {
    STATUS_PENDING: 1,
    STATUS_SERVER_ACK: 2,
    STATUS_DELIVERY_ACK: 3,
    STATUS_READ: 4,
    STATUS_PLAYED: 5,
}

# Evolution status -> the provider-neutral status names of messaging.
STATUS_TO_NEUTRAL = {
    STATUS_PENDING: "pending",
    STATUS_SERVER_ACK: "sent",
    STATUS_DELIVERY_ACK: "delivered",
    STATUS_READ: "read",
    STATUS_PLAYED: "played",
    STATUS_ERROR: "failed",
}

# Connection states (connectionState / connection.update).
STATE_OPEN = "open"
STATE_CONNECTING = "connecting"
STATE_CLOSE = "close"
STATE_REFUSED = "refused"

# Media message types (Baileys key names) -> neutral kind.
MEDIA_TYPES = {
    "imageMessage": "image",
    "videoMessage": "video",
    "audioMessage": "audio",
    "documentMessage": "document",
    "stickerMessage": "image",
    "ptvMessage": "video",
}

JID_USER_SUFFIX = "@s.whatsapp.net"
JID_GROUP_SUFFIX = "@g.us"
JID_LID_SUFFIX = "@lid"
JID_BROADCAST = "status@broadcast"

# Client timeouts (seconds). `create` with qrcode:true sleeps 5 s, `connect` 2 s (§7 item 11).
TIMEOUT_DEFAULT = 20.0
# Records per findMessages page when reconciliation lists a contact's messages.
FIND_PAGE_SIZE = 100
TIMEOUT_CONNECT = 5.0
TIMEOUT_CREATE = 30.0
