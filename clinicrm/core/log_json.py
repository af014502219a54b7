"""One JSON object per line for production logs (LOG_FORMAT=json, the production default).

Fields: time (UTC, ISO 8601), level, logger, message, request_id, tenant_id, task_id (worker),
process, and exc
(the traceback) when there is one. Nothing else from the record is copied: arbitrary `extra`
values could carry personal data. The message and traceback arrive already redacted by the
`RedactPersonalData` filter every handler has (settings.LOGGING); filters run before the
formatter.
"""

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "tenant_id": getattr(record, "tenant_id", "-"),
            "task_id": getattr(record, "task_id", "-"),
            "process": record.process,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)
