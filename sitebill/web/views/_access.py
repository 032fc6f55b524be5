"""One way for pages to answer a refusal from `sitebill.accounts.access`.

Views load objects only through `access_project` / `access_contract`; those raise `NotFound`
(missing, or not the user's to see: the same answer for both) and `PermissionDenied` (visible but
not the user's to act on). `access_errors` turns them into our 404 and 403 pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sitebill.core.exceptions import NotFound, PermissionDenied

View = Callable[..., HttpResponse]


def access_errors(view: View) -> View:
    """Render `web/404.html` for NotFound and `web/403.html` for PermissionDenied."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            return render(request, "web/404.html", {"message": error.message}, status=404)
        except PermissionDenied as error:
            return render(request, "web/403.html", {"message": error.message}, status=403)

    return wrapper
