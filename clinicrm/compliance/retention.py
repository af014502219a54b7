"""Retention: personal data the product no longer needs is purged on a schedule, and the audit
log records what went (counts and cut-offs, no content).

- raw webhook bodies and headers (`inbound_events`) of events already handled, after
  `RETENTION_INBOUND_BODY_DAYS` (90); the row's metadata (provider, type, status, times) stays;
- realtime events after `RETENTION_REALTIME_DAYS` (2; this job is their only purge);
- failed-login rows after `RETENTION_LOGIN_ATTEMPT_DAYS` (30);
- patient intake submissions that never entered the patient record, after
  `RETENTION_INTAKE_DAYS` (90) counted from their rejection or their invite's expiry (each
  clinic's audit log also records its own; accepted submissions stay), and invites nobody
  answered, the same period after they expired;
- media files of erased patients that are still in storage (at once: no period applies);
- LGPD export files once their download link has ended (`LGPD_EXPORT_LINK_SECONDS` after the
  build; each export keeps its row, marked expired, and gets its own audit row in its clinic).

`integrations` owns `inbound_events` and sits above this app, so it registers its purger here
(`retention_purger_register`); the others are read directly.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from clinicrm.compliance.intake.erasure import (
    intake_invites_unanswered_purge,
    intake_submissions_purge,
)
from clinicrm.compliance.lgpd.erase import erased_media_purge
from clinicrm.compliance.lgpd.services import patient_exports_expire
from clinicrm.core.models import LoginAttempt
from clinicrm.core.services import audit_log_record
from clinicrm.messaging.services.realtime import realtime_events_prune

Purger = Callable[[dt.datetime], int]  # (cut-off) -> rows purged

_purgers: dict[str, tuple[str, int, Purger]] = {}


def retention_purger_register(*, name: str, setting: str, default_days: int, purge: Purger) -> None:
    _purgers[name] = (setting, default_days, purge)


def _days(setting: str, default: int) -> int:
    return int(getattr(settings, setting, default))


def _login_attempts(cutoff: dt.datetime) -> int:
    return LoginAttempt.objects.filter(created_at__lt=cutoff).delete()[0]


# Realtime events hold ids and counts only, and a browser replays just what it missed while
# reconnecting (a stream lasts MESSAGING_SSE_MAX_SECONDS): two days is ample, and keeps a table
# that gets a row per message and status small. Every 6 hours is often enough for that.
retention_purger_register(
    name="realtime_events",
    setting="RETENTION_REALTIME_DAYS",
    default_days=2,
    purge=lambda cutoff: realtime_events_prune(cutoff=cutoff),
)
retention_purger_register(
    name="login_attempts",
    setting="RETENTION_LOGIN_ATTEMPT_DAYS",
    default_days=30,
    purge=_login_attempts,
)
retention_purger_register(
    name="intake_submissions",
    setting="RETENTION_INTAKE_DAYS",
    default_days=90,
    purge=lambda cutoff: intake_submissions_purge(cutoff=cutoff),
)
retention_purger_register(
    name="intake_invites",
    setting="RETENTION_INTAKE_DAYS",
    default_days=90,
    purge=lambda cutoff: intake_invites_unanswered_purge(cutoff=cutoff),
)
retention_purger_register(
    name="erased_patient_media",
    setting="RETENTION_ERASED_MEDIA_DAYS",
    default_days=0,
    purge=lambda cutoff: erased_media_purge(),
)
# No period of its own: each export carries its end (`PatientExport.expires_at`).
retention_purger_register(
    name="lgpd_export_files",
    setting="RETENTION_LGPD_EXPORT_DAYS",
    default_days=0,
    purge=lambda cutoff: patient_exports_expire(),
)


def retention_purge() -> dict[str, int]:
    """Run every purger with its period; one audit row names what was purged (if anything)."""
    now = timezone.now()
    counts: dict[str, int] = {}
    days: dict[str, int] = {}
    for name, (setting, default, purge) in sorted(_purgers.items()):
        days[name] = _days(setting, default)
        counts[name] = purge(now - dt.timedelta(days=days[name]))
    if any(counts.values()):
        audit_log_record(
            action="retention.purge",
            object_type="retention",
            details={"purged": counts, "days": days},
        )
    return counts
