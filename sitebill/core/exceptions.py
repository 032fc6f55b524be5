"""One family of errors for every refusal the domain makes.

Services raise these; the API turns them into `{"message", "code", "fields"}` with the status
below, and pages show the message next to the field.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A refusal with a human message, a stable code and optional per-field messages."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields or {}


class ValidationFailed(ApplicationError):
    """Bad input: 400."""


class NotFound(ApplicationError):
    """Missing, or not the caller's to see: the same 404 for both (never reveal existence)."""

    status = 404
    default_code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class PermissionDenied(ApplicationError):
    """Visible to the caller but the action is not theirs: 403."""

    status = 403
    default_code = "permission_denied"


class Conflict(ApplicationError):
    """The state changed under the caller (stale version, transition no longer valid): 409."""

    status = 409
    default_code = "conflict"
