"""Accounts: login throttling, login/logout audit, password recovery, invitations, session expiry.

- `backends.ThrottledModelBackend` is the only authentication backend, so every password check
  (whatever view or command calls `authenticate()`) passes the throttle first; the
  `user_login_failed` / `user_logged_in` receivers in `signals.py` write the audit trail.
- The throttle (`selectors.login_refusal_get`, `services.login_attempt_claim`) delays guesses
  progressively per (account, client IP) and caps failures per IP. It never locks an account:
  an attacker elsewhere only slows themselves down.
- Password reset and invitations reuse Django's token machinery (`tokens.py`); e-mails leave
  through a task (`tasks.py`), which renders the link when it runs, so no token is stored.
- `middleware.SessionExpiryMiddleware` ends sessions after an idle period and an absolute
  lifetime; background requests (SSE, polls) do not count as activity.
"""
