"""Log-in throttling with django-axes: who is counted, and what a locked-out person is told.

A failed log-in counts against the pair (email, client IP address), never against the address
alone: the people of a customer's office share one NAT address, and one of them mistyping a
password must not lock out the others (ASVS 6.1.1). Five failures in a row lock that pair out for
AXES_COOLOFF_TIME (15 minutes); a successful log-in clears the pair's count.

Both ways in are throttled: the web log-in page (Django's LoginView) and
`POST /api/v1/auth/token/`. Both call `authenticate(request, ...)`; AxesMiddleware turns a
locked-out attempt into `lockout_response` (429): the locked-out page, or the API's error body.

The settings that wire this in (config/settings/base.py):
    AUTHENTICATION_BACKENDS  LoginThrottleBackend first
    AXES_USERNAME_CALLABLE   login_username
    AXES_CLIENT_IP_CALLABLE  client_ip_address (SITEBILL_PROXY_COUNT trusted proxies in front)
    AXES_LOCKOUT_CALLABLE    lockout_response
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

API_PREFIX = "/api/"
LOCKED_OUT_CODE = "locked_out"


def lockout_message(cool_off: timedelta | None = None) -> str:
    """ "Too many failed log-in attempts: try again in 15 minutes or reset your password." """
    if cool_off is None:
        cool_off = get_cool_off() or timedelta(minutes=15)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed log-in attempts: try again in {minutes} {unit} or reset your password."


def _normalise(email: object) -> str | None:
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip().lower()


def login_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The email a log-in attempt is for, lower-cased so that "A@x" and "a@x" count together.

    The web form posts it as `username` (Django's AuthenticationForm), the API as `email`.
    """
    for source in (credentials or {}, getattr(request, "POST", {})):
        for key in ("username", "email"):
            email = _normalise(source.get(key))
            if email:
                return email
    return None


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address, as the last of SITEBILL_PROXY_COUNT trusted proxies saw it.

    Behind one proxy (nginx with `proxy_add_x_forwarded_for`) the right-most X-Forwarded-For
    entry is the address that proxy talked to; entries further left are the client's to invent.
    With no trusted proxy (the default) it is the socket's address, REMOTE_ADDR.
    """
    proxies = int(getattr(settings, "SITEBILL_PROXY_COUNT", 0))
    remote = request.META.get("REMOTE_ADDR") or None
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 for a locked-out log-in: the API's error body under /api/, else the locked-out page."""
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    message = lockout_message(cool_off)
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"message": message, "code": LOCKED_OUT_CODE, "fields": {}}, status=429
        )
    else:
        response = render(request, "web/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response


def throttling_record_success(*, request: HttpRequest, user: Any) -> None:
    """Clear the failures counted for this user from this address (AXES_RESET_ON_SUCCESS).

    The web log-in does this through Django's `user_logged_in` signal; the API token endpoint
    logs nobody into a session, so it calls this instead (it does not touch `last_login`).
    """
    AxesProxyHandler.user_logged_in(sender=LoginThrottleBackend, request=request, user=user)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses every log-in of a locked-out (email, address) pair; authenticates nobody itself.

    A log-in without a request (the test client's `login()`, a shell) has no address to count
    against and no response to lock out, so it is not throttled; every HTTP way in (LoginView,
    the token endpoint) passes its request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
