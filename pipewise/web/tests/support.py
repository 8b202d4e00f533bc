"""What the workspace's tests share."""

from __future__ import annotations

from django.test import Client


def signed_in(user) -> Client:
    """A browser session signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client
