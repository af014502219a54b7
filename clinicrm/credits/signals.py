"""Signals of the credits app, for the apps above it (it cannot call them).

`credits_changed` is sent inside the transaction that changed a tenant's balance (other than a
message's own charge or refund, which messaging announces itself) or a purchase's status, with
`tenant` and `purchase_id` (None when no purchase is involved). Messaging turns it into a
realtime event, so an open credits page updates by itself.
"""

from django.dispatch import Signal

credits_changed = Signal()
