"""Settings for pytest: fast hashing, an in-memory-free file store under a temp dir."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="sitebill-media-"))
ALLOWED_HOSTS = ["*"]

# Concurrency tests run real threads: SQLite's shared-cache in-memory test database locks
# tables without honouring the busy timeout, so the SQLite test database is a file instead.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="sitebill-testdb-")) / "test.sqlite3")
    }

# Tasks run right after the commit that queued them (tests of the worker switch to the database
# backend themselves).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
