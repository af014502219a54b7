"""Asaas v3 facts the client, webhook and handlers share (see docs/providers/asaas.md)."""

PROVIDER = "asaas"

BASE_URLS = {
    "production": "https://api.asaas.com/v3",
    "sandbox": "https://api-sandbox.asaas.com/v3",
}
USER_AGENT = "clinicrm/1.0 (python-httpx)"
TIMEOUT_SECONDS = 15.0
WEBHOOK_TOKEN_HEADER = "asaas-access-token"

# Asaas refuses charges below this value (after discount).
MIN_CHARGE_BRL = "5.00"
# How many days the PIX charge stays due; the QR itself stays payable 12 months after that.
PIX_DUE_DAYS = 1

# Payment events.
PAYMENT_CREATED = "PAYMENT_CREATED"
PAYMENT_UPDATED = "PAYMENT_UPDATED"
PAYMENT_CONFIRMED = "PAYMENT_CONFIRMED"
PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
PAYMENT_OVERDUE = "PAYMENT_OVERDUE"
PAYMENT_DELETED = "PAYMENT_DELETED"
PAYMENT_RESTORED = "PAYMENT_RESTORED"
PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
PAYMENT_PARTIALLY_REFUNDED = "PAYMENT_PARTIALLY_REFUNDED"

# Payment statuses that mean the money arrived.
PAID_STATUSES = frozenset({"RECEIVED", "CONFIRMED"})
REFUNDED_STATUSES = frozenset({"REFUNDED"})
