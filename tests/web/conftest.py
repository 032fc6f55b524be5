"""Helpers for the page tests: log in as one of the `world` users."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def login(client: Client, world: Any):
    """`login("admin")` logs the client in as that `world` user and returns the client."""

    def _login(role: str) -> Client:
        client.force_login(world.role(role))
        return client

    return _login
