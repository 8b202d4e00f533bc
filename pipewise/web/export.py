"""Export the current filtered view of a list to CSV or XLSX with the CLI's exporter.

The queryset handed over is the list's own (visibility and filters applied), so
a download never holds more than the page could show. CSV is streamed in chunks
of rows (``transfer.export_csv``); XLSX is written to a temporary file first (a
workbook cannot be streamed).
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone

EXPORT_UNAVAILABLE = "Export is not available for this list yet."
# A workbook is built in memory before the first byte goes out; beyond this many rows the
# request would outlast any proxy's patience. CSV streams, so it has no such limit.
XLSX_ROW_LIMIT = 50_000
XLSX_TOO_BIG = (
    "This view holds more than {limit:,} records, too many for one XLSX download. "
    "Narrow the filters, or export CSV (it streams any number of rows)."
)


def export_response(request, kind_name: str, queryset):
    fmt = request.GET.get("export", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        from pipewise.core import transfer

        kind = transfer.get_kind(kind_name)
    except (ImportError, KeyError):
        messages.error(request, EXPORT_UNAVAILABLE)
        return _back_to_list(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"pipewise-{kind_name}-{stamp}.{fmt}"
    if fmt == "xlsx":
        # A bounded count: it stops one row past the limit, whatever the table holds.
        if queryset.order_by()[: XLSX_ROW_LIMIT + 1].count() > XLSX_ROW_LIMIT:
            messages.error(request, XLSX_TOO_BIG.format(limit=XLSX_ROW_LIMIT))
            return _back_to_list(request)
        spool = tempfile.TemporaryFile()
        transfer.export_records(kind, spool, fmt="xlsx", queryset=queryset)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def chunks():
        yield "\ufeff"  # byte-order mark: spreadsheet programs then read UTF-8 correctly
        for chunk, _records in transfer.export_csv(kind, queryset=queryset):
            yield chunk

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _back_to_list(request):
    """The list the export was asked from, with its filters (and without ``export``)."""
    params = request.GET.copy()
    params.pop("export", None)
    return redirect(f"{request.path}?{params.urlencode()}")
