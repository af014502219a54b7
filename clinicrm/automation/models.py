"""Automation: opt-out/opt-in, confirm by reply, auto-reply and session reminders.

The periodic-job machinery these build on lives in `core` (`core.scheduler`, `ScheduledRun`);
this app's migration 0001 created the `scheduled_runs` table before it moved there.
"""
