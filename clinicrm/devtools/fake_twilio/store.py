"""The fake Twilio's memory across restarts: a small SQLite file in its data folder.

Twilio keeps every message it created whatever happens to the process that talked to it, so the
fake does too when it is given a data folder (`manage.py fake_twilio --data-dir`): the message
resources (with the fake's private `_meta`, the planned status steps included), the 24-hour
windows, opt-outs and the accounts learned in demo mode are written through on every change and
read back at start. Without a data folder (the in-process test fake) nothing is written.

All calls happen under the state's lock; the connection is shared by the HTTP threads for that
reason (`check_same_thread=False`).
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

FILENAME = "fake_twilio.sqlite3"


class FakeTwilioStore:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / FILENAME
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS messages"
            " (seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT UNIQUE NOT NULL, doc TEXT NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, doc TEXT NOT NULL)")

    def messages(self) -> list[dict[str, Any]]:
        """Every stored message, in creation order."""
        rows = self._db.execute("SELECT doc FROM messages ORDER BY seq").fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def message_put(self, message: dict[str, Any]) -> None:
        # An upsert keeps the row's creation order (seq) when a status changes.
        self._db.execute(
            "INSERT INTO messages (sid, doc) VALUES (?, ?)"
            " ON CONFLICT (sid) DO UPDATE SET doc = excluded.doc",
            (message["sid"], json.dumps(message)),
        )

    def value(self, key: str, default: Any) -> Any:
        row = self._db.execute("SELECT doc FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def value_put(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO kv (key, doc) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET doc = excluded.doc",
            (key, json.dumps(value)),
        )

    def clear(self) -> None:
        self._db.execute("DELETE FROM messages")
        self._db.execute("DELETE FROM kv")

    def close(self) -> None:
        self._db.close()
