"""`make run`: the embedded SQLite database, the outbox for mail, DEBUG on."""

from .base import *  # noqa: F403

DEBUG = True
ALLOWED_HOSTS = ["*"]
