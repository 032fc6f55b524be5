"""Settings for pytest: fast hashing, an in-memory-free file store under a temp dir."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="sitebill-media-"))
ALLOWED_HOSTS = ["*"]
