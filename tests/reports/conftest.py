"""The API client per role (`api(user)`), shared with tests/api."""

from tests.api.conftest import api  # noqa: F401  (a fixture, re-exported)
