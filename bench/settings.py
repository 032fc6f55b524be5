"""Settings for `make bench`: production-like (DEBUG off, real password hashing is not on the
measured paths: the API is called with a token, pages with a session), the database from
DATABASE_URL, media under a scratch directory, and the floor views mounted under /bench/."""

import os
import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
MEDIA_ROOT = Path(
    os.environ.get("BENCH_MEDIA_ROOT") or tempfile.mkdtemp(prefix="sitebill-bench-media-")
)
# Building the large project logs in thousands of users: a fast hash keeps the build short and
# is never on a measured path.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
