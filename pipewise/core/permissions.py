"""The API's base permission: signed-in users; read-only roles only read."""

from rest_framework import permissions

READ_ONLY_ROLE = "Your role is read-only: you can look but not change records."


class IsAuthenticatedWithRole(permissions.BasePermission):
    """Signed-in, active users; read-only roles (executives) may only read."""

    message = READ_ONLY_ROLE

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return not user.is_read_only
