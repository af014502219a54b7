"""Retention: exactly what is past each period is purged, the rest stays, and the audit log
records the counts (time-machine)."""

import datetime as dt
import json

import pytest
import time_machine

from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission, SubmissionStatus
from clinicrm.compliance.retention import retention_purge
from clinicrm.core.models import AuditLog, LoginAttempt
from clinicrm.core.scheduler import jobs_all
from clinicrm.integrations.models import InboundEvent
from clinicrm.messaging.models import RealtimeEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


def _event(n: int, status: str) -> InboundEvent:
    return InboundEvent.objects.create(
        provider="evolution",
        event_id=f"e{n}",
        event_type="messages.upsert",
        body=b'{"phone": "+5511988887777", "text": "oi"}',
        headers={"x": "y"},
        status=status,
    )


def test_purges_exactly_what_is_past_the_period_and_audits_it(tenant):
    with time_machine.travel(NOW - dt.timedelta(days=91), tick=False):
        old_done = _event(1, "processed")
        old_pending = _event(2, "pending")  # not handled yet: kept whole
        RealtimeEvent.objects.create(tenant=tenant, kind="thread", payload={})
    with time_machine.travel(NOW - dt.timedelta(days=89), tick=False):
        young_done = _event(3, "processed")
    with time_machine.travel(NOW - dt.timedelta(days=31), tick=False):
        LoginAttempt.objects.create(email="a@x.test", ip_address="203.0.113.1")
    with time_machine.travel(NOW - dt.timedelta(days=29), tick=False):
        LoginAttempt.objects.create(email="b@x.test", ip_address="203.0.113.1")
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        RealtimeEvent.objects.create(tenant=tenant, kind="thread", payload={})

    with time_machine.travel(NOW, tick=False):
        counts = retention_purge()

    assert counts == {
        "erased_patient_media": 0,
        "inbound_event_bodies": 1,
        "intake_invites": 0,
        "intake_submissions": 0,
        "lgpd_export_files": 0,
        "login_attempts": 1,
        "realtime_events": 1,
    }
    old_done.refresh_from_db()
    assert bytes(old_done.body) == b"" and old_done.headers == {}
    assert (old_done.event_type, old_done.status) == ("messages.upsert", "processed")
    for kept in (old_pending, young_done):
        kept.refresh_from_db()
        assert b"+5511988887777" in bytes(kept.body)
    assert list(LoginAttempt.objects.values_list("email", flat=True)) == ["b@x.test"]
    assert RealtimeEvent.objects.count() == 1
    row = AuditLog.objects.get(action="retention.purge")
    assert row.details["purged"] == counts
    assert row.details["days"]["inbound_event_bodies"] == 90

    with time_machine.travel(NOW, tick=False):
        assert set(retention_purge().values()) == {0}
    assert AuditLog.objects.filter(action="retention.purge").count() == 1  # nothing, no row


def _realtime(tenant, age: dt.timedelta) -> int:
    with time_machine.travel(NOW - age, tick=False):
        return RealtimeEvent.objects.create(tenant=tenant, kind="thread", payload={}).pk


def test_realtime_events_live_as_long_as_the_setting_says_whatever_job_runs(
    settings, tenant, other_tenant
):
    """The retention setting is the only period: every scheduled job run at once (as if they
    had all come due) deletes exactly the events past `RETENTION_REALTIME_DAYS`, of every
    clinic, and the purge is audited; a second run finds nothing."""
    settings.RETENTION_REALTIME_DAYS = 5
    old = {_realtime(t, dt.timedelta(days=5, minutes=1)) for t in (tenant, other_tenant)}
    kept = {
        _realtime(t, age)
        for t in (tenant, other_tenant)
        for age in (dt.timedelta(days=4, hours=23), dt.timedelta(minutes=1))
    }
    jobs = jobs_all()
    with time_machine.travel(NOW, tick=False):
        for job in jobs.values():
            job.task.call(**job.kwargs)
    assert set(RealtimeEvent.objects.values_list("pk", flat=True)) == kept
    assert old.isdisjoint(RealtimeEvent.objects.values_list("pk", flat=True))
    row = AuditLog.objects.get(action="retention.purge")
    assert row.details["purged"]["realtime_events"] == 2
    assert row.details["days"]["realtime_events"] == 5
    with time_machine.travel(NOW, tick=False):
        assert jobs["compliance.retention_purge"].task.call()["realtime_events"] == 0
    assert AuditLog.objects.filter(action="retention.purge").count() == 1


def test_the_period_is_a_setting_and_the_scheduler_runs_it(settings):
    assert "compliance.retention_purge" in jobs_all()
    settings.RETENTION_INBOUND_BODY_DAYS = 10
    with time_machine.travel(NOW - dt.timedelta(days=11), tick=False):
        _event(1, "ignored")
    with time_machine.travel(NOW, tick=False):
        assert retention_purge()["inbound_event_bodies"] == 1


def _submission(
    tenant, status: str, *, invite_expired_days: float, reviewed_days: float | None = None
) -> IntakeSubmission:
    invite = IntakeInvite.objects.create(
        tenant=tenant,
        name="Joana Prado",
        phone_e164="+5511988887777",
        expires_at=NOW - dt.timedelta(days=invite_expired_days),
    )
    return IntakeSubmission.objects.create(
        tenant=tenant,
        invite=invite,
        full_name="Joana Prado",
        cpf="52998224725",
        birth_date=dt.date(1990, 5, 1),
        phone_e164="+5511988887777",
        consent_terms_version="2026-12",
        consented_at=NOW - dt.timedelta(days=invite_expired_days + 1),
        status=status,
        reviewed_at=NOW - dt.timedelta(days=reviewed_days) if reviewed_days is not None else None,
    )


def test_intake_submissions_never_taken_into_the_record_are_purged_per_clinic(tenant, other_tenant):
    R, P, A = SubmissionStatus.REJECTED, SubmissionStatus.PENDING, SubmissionStatus.ACCEPTED
    gone = [
        # Counted from the rejection, not from the invite's expiry.
        _submission(tenant, R, invite_expired_days=85, reviewed_days=90.01),
        _submission(tenant, P, invite_expired_days=90.01),  # never reviewed, invite expired
        _submission(other_tenant, R, invite_expired_days=120, reviewed_days=100),
    ]
    kept = [
        _submission(tenant, R, invite_expired_days=95, reviewed_days=89.99),
        _submission(tenant, P, invite_expired_days=89.99),
        _submission(tenant, P, invite_expired_days=-3),  # the invite is still open
        _submission(tenant, A, invite_expired_days=400, reviewed_days=400),  # in the record
        _submission(other_tenant, A, invite_expired_days=400, reviewed_days=400),
    ]

    with time_machine.travel(NOW, tick=False):
        counts = retention_purge()

    assert counts["intake_submissions"] == 3
    assert set(IntakeSubmission.objects.values_list("pk", flat=True)) == {s.pk for s in kept}
    # Their invites go too (no link of them opens again, no name or phone stays on them).
    assert set(IntakeInvite.objects.values_list("pk", flat=True)) == {s.invite_id for s in kept}
    assert not IntakeInvite.objects.filter(pk__in=[s.invite_id for s in gone]).exists()
    rows = AuditLog.objects.filter(action="retention.purge")
    per_clinic = {r.tenant_id: r.details["purged"] for r in rows if r.tenant_id}
    assert per_clinic == {
        tenant.pk: {"intake_submissions": 2},
        other_tenant.pk: {"intake_submissions": 1},
    }
    (overall,) = [r for r in rows if r.tenant_id is None]
    assert overall.details["purged"]["intake_submissions"] == 3
    assert overall.details["days"]["intake_submissions"] == 90
    assert "Joana" not in json.dumps([r.details for r in rows])

    with time_machine.travel(NOW, tick=False):
        assert retention_purge()["intake_submissions"] == 0
    assert AuditLog.objects.filter(action="retention.purge").count() == 3  # nothing, no row
    assert IntakeSubmission.objects.count() == len(kept)


def test_the_intake_period_is_a_setting(tenant, settings):
    settings.RETENTION_INTAKE_DAYS = 10
    _submission(tenant, SubmissionStatus.REJECTED, invite_expired_days=20, reviewed_days=11)
    young = _submission(tenant, SubmissionStatus.PENDING, invite_expired_days=9)
    with time_machine.travel(NOW, tick=False):
        assert retention_purge()["intake_submissions"] == 1
    assert list(IntakeSubmission.objects.values_list("pk", flat=True)) == [young.pk]


def test_invites_nobody_answered_are_purged_per_clinic_after_the_period(tenant, other_tenant):
    def invite(clinic, *, expired_days: float) -> IntakeInvite:
        return IntakeInvite.objects.create(
            tenant=clinic,
            name="Joana Prado",
            phone_e164="+5511988887777",
            expires_at=NOW - dt.timedelta(days=expired_days),
        )

    gone = [invite(tenant, expired_days=90.01), invite(other_tenant, expired_days=200)]
    kept = [invite(tenant, expired_days=89.99), invite(other_tenant, expired_days=-2)]
    answered = _submission(tenant, SubmissionStatus.ACCEPTED, invite_expired_days=400)

    with time_machine.travel(NOW, tick=False):
        assert retention_purge()["intake_invites"] == 2

    assert set(IntakeInvite.objects.values_list("pk", flat=True)) == {
        *(i.pk for i in kept),
        answered.invite_id,
    }
    rows = AuditLog.objects.filter(action="retention.purge")
    per_clinic = {r.tenant_id: r.details["purged"] for r in rows if r.tenant_id}
    assert per_clinic == {tenant.pk: {"intake_invites": 1}, other_tenant.pk: {"intake_invites": 1}}
    assert "Joana" not in json.dumps([r.details for r in rows])
    with time_machine.travel(NOW, tick=False):
        assert retention_purge()["intake_invites"] == 0
    assert not IntakeInvite.objects.filter(pk__in=[i.pk for i in gone]).exists()
