"""Content-Security-Policy on every response (Django 5.2 has no built-in CSP).

The pages load only our own scripts and styles (static files: no inline `<script>`, no `style=`
attributes, no inline event handlers), so the policy allows nothing inline. htmx's indicator
`<style>` is turned off in base.html (`htmx-config` meta); the scripts that pages need live in
sitebill/web/static/web/.

One page differs: Swagger UI at /api/docs/ (drf-spectacular's split view: Swagger UI's files from
drf-spectacular-sidecar, its start-up script served as a file) has one inline `<style>` block in
drf-spectacular's template, allowed by its hash. After upgrading drf-spectacular, if
tests/security/test_headers.py says the hash changed, put the new one in SWAGGER_UI_STYLE_HASH.
A view may set its own `Content-Security-Policy` header; the middleware then leaves it alone.
With DEBUG on (`make run`), Django's own error pages (the yellow 404/500 pages, the CSRF failure
page: inline styles and scripts) get no policy, so that they stay readable.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


def policy(**overrides: str) -> str:
    """The policy as a header value; `overrides` replace directives (underscores for dashes)."""
    directives = {
        **DIRECTIVES,
        **{key.replace("_", "-"): value for key, value in overrides.items()},
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


POLICY = policy()
# The sha256 of the inline <style> of drf_spectacular/swagger_ui.html (drf-spectacular 0.30.0).
SWAGGER_UI_STYLE_HASH = "sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0="
# URL names whose pages need more than POLICY.
RELAXED: dict[str, str] = {
    "api-docs": policy(style_src=f"'self' '{SWAGGER_UI_STYLE_HASH}'"),
}


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code >= 400:
            return response
        if HEADER not in response:
            match = request.resolver_match
            url_name = match.view_name if match is not None else ""
            response[HEADER] = RELAXED.get(url_name, POLICY)
        return response
