"""Pieces of the inbox data generator: COPY rows built from the models, packed messages, phone
numbers and the shape of the traffic (how many messages a thread has, when they were sent)."""

import datetime as dt
import json
import random
from collections.abc import Sequence
from typing import Any

DAY = 86_400
DDDS = (11, 11, 11, 21, 21, 31, 41, 47, 48, 51, 61, 62, 71, 81, 85, 91)
# Message kinds: mostly text; media carry a caption now and then.
KINDS = ("text", "image", "audio", "document")
KIND_SHARES = (0.92, 0.04, 0.02, 0.02)
MEDIA = {
    "image": ("image/jpeg", "IMG-20260312-WA0007.jpg", 184_320),
    "audio": ("audio/ogg", "", 23_552),
    "document": ("application/pdf", "laudo.pdf", 96_256),
}

# One message packed into an int that sorts by time first: seconds since the span start,
# tenant, thread, direction, kind and text (bit widths below).
_WIDTHS = (("tenant", 6), ("thread", 22), ("inbound", 1), ("kind", 3), ("text", 17))


def pack(ts: int, tenant: int, thread: int, inbound: int, kind: int, text: int) -> int:
    key = ts
    for (_name, width), value in zip(_WIDTHS, (tenant, thread, inbound, kind, text), strict=True):
        key = (key << width) | value
    return key


def unpack(key: int) -> tuple[int, ...]:
    """(ts, tenant, thread, inbound, kind, text) of a packed message."""
    values = []
    for _name, width in reversed(_WIDTHS):
        values.append(key & ((1 << width) - 1))
        key >>= width
    return (key, *reversed(values))


def copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_value(value: Any) -> str:
    """A Python value as COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return copy_escape(json.dumps(value))
    return copy_escape(str(value))


class CopyRows:
    """COPY lines for a model. The caller gives some fields per row (already COPY text); every
    other concrete column gets the field's default, so a column added later (with a default)
    keeps the generator working."""

    def __init__(self, model: Any, given: Sequence[str]) -> None:
        # The primary key only when given (otherwise its sequence numbers the rows); never a
        # generated column (the database computes it; COPY refuses it).
        fields = [
            f
            for f in model._meta.concrete_fields
            if (not f.primary_key or f.name in given) and not f.generated
        ]
        self.table = model._meta.db_table
        self.columns = [str(f.column) for f in fields]
        self.slots = [self.columns.index(model._meta.get_field(name).column) for name in given]
        # get_default(): the field's default, "" for text columns without one, else None.
        self.template = [copy_value(None if f.name in given else f.get_default()) for f in fields]

    def line(self, values: Sequence[str]) -> str:
        row = list(self.template)
        for slot, value in zip(self.slots, values, strict=True):
            row[slot] = value
        return "\t".join(row) + "\n"

    @property
    def sql(self) -> str:
        return f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"


def timestamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def phone_number(index: int) -> str:
    """A distinct Brazilian mobile per index (7919 is prime to 10**8: a bijection)."""
    return f"+55{DDDS[index % len(DDDS)]}9{(index * 7919 + 12345) % 100_000_000:08d}"


def message_counts(rng: random.Random, threads: int, messages: int) -> list[int]:
    """Messages per thread, `messages` in all: at least one each, heavy-tailed (most threads
    have a handful, a few have hundreds)."""
    weights = [min(rng.paretovariate(1.3), 400.0) for _ in range(threads)]
    scale = (messages - threads) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in rng.sample(range(threads), messages - sum(counts)):
        counts[i] += 1
    return counts


def thread_messages(
    rng: random.Random, *, count: int, tenant: int, thread: int, span: int, pool: int
) -> list[int]:
    """Packed messages of one thread: bursts of conversation minutes apart, then days or weeks
    of silence; most threads were active recently. All inside [0, span)."""
    times, ts = [], 0
    for _ in range(count):
        times.append(ts)
        quick = rng.random() < 0.8
        ts += 5 + int(rng.expovariate(1 / 240) if quick else rng.expovariate(1 / (4 * DAY)))
    length = times[-1]
    if length >= span:  # a very long thread: squeeze it into the span
        times = [t * (span - 1) // (length + 1) for t in times]
        length = times[-1]
    end = span - 1 - int((span - length - 1) * rng.random() ** 2.5)
    start = end - length
    inbound = 1 if rng.random() < 0.85 else 0
    out = []
    for t in times:
        kind = rng.choices(range(len(KINDS)), KIND_SHARES)[0]
        out.append(pack(start + t, tenant, thread, inbound, kind, rng.randrange(pool)))
        inbound = 1 - inbound if rng.random() < 0.6 else inbound
    return out
