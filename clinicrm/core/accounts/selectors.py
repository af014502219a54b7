"""Reads of the accounts area: is this login attempt allowed now, and if not, for how long."""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from clinicrm.core.models import LoginAttempt


@dataclass(frozen=True)
class LoginRefusal:
    """A login attempt refused before its password was checked."""

    wait_seconds: int
    scope: Literal["account_ip", "ip"]

    @property
    def message(self) -> str:
        if self.wait_seconds < 120:
            wait = f"{self.wait_seconds} segundo{'s' if self.wait_seconds != 1 else ''}"
        else:
            wait = f"{math.ceil(self.wait_seconds / 60)} minutos"
        return f"Muitas tentativas de acesso. Aguarde {wait} e tente novamente."


def login_attempts_of_pair(*, email: str, ip: str | None) -> QuerySet[LoginAttempt]:
    """The attempts of one (account, client IP) pair; a missing IP is a pair of its own."""
    if ip:
        return LoginAttempt.objects.filter(email=email, ip_address=ip)
    return LoginAttempt.objects.filter(email=email, ip_address__isnull=True)


def login_delay_seconds(*, failures: int) -> int:
    """Wait imposed after `failures` recent failures of one (account, IP): none for the first
    few (typos), then base, 2*base, 4*base, ... capped."""
    free = settings.LOGIN_THROTTLE_FREE_FAILURES
    if failures < free:
        return 0
    delay = settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS * 2 ** min(failures - free, 30)
    return int(min(delay, settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS))


def login_refusal_get(
    *, email: str, ip: str | None, now: dt.datetime | None = None, before_id: int | None = None
) -> LoginRefusal | None:
    """Whether an attempt for `email` from `ip` must wait. Counts failures inside the window;
    `before_id` limits the count to attempts claimed before that one (see login_attempt_claim)."""
    now = now or timezone.now()
    window = dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)

    def recent(qs: QuerySet[LoginAttempt]) -> QuerySet[LoginAttempt]:
        qs = qs.filter(created_at__gte=now - window)
        return qs.filter(pk__lt=before_id) if before_id is not None else qs

    waits: list[LoginRefusal] = []
    pair = recent(login_attempts_of_pair(email=email, ip=ip))
    stats = pair.aggregate(failures=Count("pk"), last=Max("created_at"))
    delay = login_delay_seconds(failures=stats["failures"])
    if delay and stats["last"] is not None:
        remaining = (stats["last"] + dt.timedelta(seconds=delay) - now).total_seconds()
        if remaining > 0:
            waits.append(LoginRefusal(wait_seconds=math.ceil(remaining), scope="account_ip"))

    limit = settings.LOGIN_THROTTLE_IP_MAX_FAILURES
    if ip:
        from_ip = recent(LoginAttempt.objects.filter(ip_address=ip))
        count = from_ip.count()
        if count >= limit:
            # Allowed again once enough of the oldest failures have left the window.
            oldest = from_ip.order_by("created_at").values_list("created_at", flat=True)
            frees_at = oldest[count - limit] + window
            remaining = max((frees_at - now).total_seconds(), 1)
            waits.append(LoginRefusal(wait_seconds=math.ceil(remaining), scope="ip"))
    return max(waits, key=lambda w: w.wait_seconds) if waits else None
