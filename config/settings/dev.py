"""`make run`: the embedded SQLite database, the outbox for mail, DEBUG on."""

from .base import *  # noqa: F403

DEBUG = True
ALLOWED_HOSTS = ["*"]

# The outbox page lists every message to anyone: `make run` has no mailbox to read them in.
OUTBOX_PUBLIC = True

# One process, no worker: a task runs right after the commit that queued it.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
