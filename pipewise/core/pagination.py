"""Keyset (cursor) pagination for every API list."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Keyset pagination: the cost of a page does not depend on the table size."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500
