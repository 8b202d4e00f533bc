"""Access checks the web views share (the rules themselves live in each app's permissions)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from pipewise.core.permissions import READ_ONLY_ROLE
from pipewise.org.permissions import require_configure


def require_writer(user) -> None:
    """Executives (read-only) look but do not change anything."""
    if user.is_read_only:
        raise PermissionDenied(READ_ONLY_ROLE)


def writer_required(view):
    """A signed-in user whose role may change records."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        require_writer(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def configurer_required(view):
    """Admins and sales ops: the settings pages."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        require_configure(request.user)
        return view(request, *args, **kwargs)

    return wrapped
