"""Offline collection screens (issue 14): the page the phone keeps, the sheets it
downloads and the endpoint its waiting payments are sent to. Thin: scope and
permission first, then `upk.offline`.

The two JSON endpoints answer JSON even when refusing (401 signed out, 403
out of scope), never a redirect to the login page: the phone's script must
tell "sign in again, your entries are kept" from a network failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.params import is_number

from . import offline, services
from .ledger.errors import LedgerError
from .queries import parse_date, screen_flags, today, upk_for_posting


def _json_scope(request: HttpRequest, upk_id: int) -> Any:
    """The UPK the signed-in manager may post in, or the JSON refusal to send back."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": _("Sesi sudah berakhir. Masuk lagi; isian di ponsel tetap tersimpan.")}, status=401
        )
    try:
        return upk_for_posting(request.user, upk_id)
    except (Http404, PermissionDenied):
        return JsonResponse({"error": _("Anda tidak berhak mencatat pembayaran di UPK ini.")}, status=403)


def _json_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, upk_id: int) -> HttpResponse:
        scope = _json_scope(request, upk_id)
        if isinstance(scope, JsonResponse):
            return scope
        return view(request, scope)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _page_texts() -> dict[str, str]:
    """The page script's texts, translated here ({name} is filled in by the script)."""
    return {
        "online": _("Tersambung"),
        "offline": _("Tanpa sinyal"),
        "never": _("Belum pernah diunduh ke ponsel ini."),
        "fetched": _("Diunduh {when}"),
        "no_sheet": _("Belum ada lembar tersimpan di ponsel. Unduh saat ada sinyal."),
        "no_sheet_offline": _(
            "Tanpa sinyal dan belum ada lembar tersimpan di ponsel: buka halaman ini lagi saat ada sinyal."
        ),
        "stale": _(
            "Lembar ini untuk tanggal {date}, yang sudah lewat (diunduh {when}). Tagihan mungkin sudah berubah: "
            "unduh ulang bila ada sinyal, atau pakai tetap bila memang pertemuan itu yang dicatat."
        ),
        "no_rows": _("Tidak ada angsuran jatuh tempo pada tanggal ini."),
        "arrears": _("angs. lewat"),
        "fee": _("termasuk denda {amount}"),
        "paid_label": _("Dibayar {ksm}"),
        "full": _("Penuh"),
        "total": _("Jumlah tagihan {amount}"),
        "state_waiting": _("Menunggu dikirim"),
        "state_accepted": _("Diterima, kuitansi {receipt}"),
        "state_refused": _("Ditolak: {reason}"),
        "accepted": _("Diterima, kuitansi"),
        "waiting": _("{n} pembayaran menunggu dikirim"),
        "none_waiting": _("Tidak ada pembayaran yang menunggu dikirim."),
        "no_network": _("Tanpa sinyal: memakai lembar yang tersimpan di ponsel."),
        "downloading": _("Mengunduh lembar penagihan…"),
        "downloaded": _("Lembar {n} hari tersimpan di ponsel."),
        "download_failed": _("Gagal mengunduh ({error}); lembar yang tersimpan tetap dipakai."),
        "bad_amount": _("Tulis jumlah Rupiah, misalnya 560.500."),
        "fix_rows": _("Belum disimpan: perbaiki baris yang ditandai merah."),
        "nothing": _("Belum ada pembayaran yang diisi."),
        "saved": _("{n} pembayaran disimpan di ponsel."),
        "sending": _("Mengirim pembayaran…"),
        "sent": _("{n} pembayaran terkirim dan dijawab server."),
        "sent_some_refused": _("{n} pembayaran dijawab server; {refused} ditolak, lihat alasannya di bawah."),
        "retry_in": _("Gagal mengirim; dicoba lagi dalam {s} detik. Isian tetap tersimpan di ponsel."),
        "refused_all": _("Server menolak kiriman; isian tetap tersimpan di ponsel."),
        "storage_failed": _("Penyimpanan ponsel tidak bisa dipakai ({error}); gunakan lembar penagihan biasa."),
    }


@login_required
@require_GET
def collect_offline(request: HttpRequest, upk_id: int) -> HttpResponse:
    """The page the service worker keeps: everything it shows comes from the phone's IndexedDB."""
    upk = upk_for_posting(request.user, upk_id)
    return render(
        request,
        "upk/collect_offline.html",
        {
            **screen_flags(request, upk),
            "days": offline.OFFLINE_DAYS,
            "sheets_url": reverse("upk:offline_sheets", args=[upk.pk]),
            "sync_url": reverse("upk:offline_sync", args=[upk.pk]),
            "sheet_url": reverse("upk:collection_sheet", args=[upk.pk]),
            "messages_js": _page_texts(),
        },
    )


@require_GET
@_json_view
def offline_sheets(request: HttpRequest, upk: Any) -> HttpResponse:
    """?dari=YYYY-MM-DD (default today) &hari=N (default 7, at most 14)."""
    start = parse_date(request.GET.get("dari"), today())
    days_text = request.GET.get("hari") or ""
    days = int(days_text) if is_number(days_text) and len(days_text) < 4 else offline.OFFLINE_DAYS
    return JsonResponse(offline.offline_sheets(upk=upk, start=start, days=days))


@require_POST
@_json_view
def offline_sync(request: HttpRequest, upk: Any) -> HttpResponse:
    """POST {"entries": [{key, loan, date, amount}]} → {"results": [{key, status, receipt|reason}]}.

    CSRF-checked by the middleware like every form (the page sends the token in X-CSRFToken)."""
    try:
        body = json.loads(request.body or b"{}")
        entries = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError
    except ValueError:
        return JsonResponse({"error": _("Kiriman dari ponsel tidak terbaca.")}, status=400)
    try:
        results = services.offline.offline_entries_post(upk=upk, actor=request.user, entries=entries)
    except LedgerError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"results": [r.as_json() for r in results]})
