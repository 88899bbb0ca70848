"""#5 Rekap Forum: activity per BKM and category, meetings held, decisions and their follow-ups.

Everything is read through the forum's permission filters as the person who
asked (staff), via `reports.selectors.forum_activity` / `forum_meetings_recap`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.charts import bar_chart
from reports.forms import ReportParamsForm
from reports.selectors import follow_up_status_counts, forum_activity, forum_meetings_recap

TEMPLATE = "reports/pdf/rekap_forum.html"


class Params(ReportParamsForm):
    year = forms.IntegerField(
        label=gettext_lazy("Tahun"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=gettext_lazy("Kosongkan untuk seluruh masa forum."),
        error_messages={
            "min_value": gettext_lazy("Tahun minimal 2000."),
            "max_value": gettext_lazy("Tahun maksimal 2100."),
        },
    )


def build(*, params: dict[str, Any], progress: Callable[[float, str], None], user: Any = None) -> dict[str, Any]:
    if user is None:
        raise LookupError(_("Rekap forum dibaca sesuai hak baca peminta; laporan ini tidak bisa dijadwalkan."))
    year = params.get("year")
    progress(10, _("Menghitung keaktifan forum"))
    activity = forum_activity(user=user, year=year)
    progress(50, _("Membaca pertemuan dan tindak lanjut"))
    meetings = forum_meetings_recap(user=user, year=year)
    statuses = follow_up_status_counts(meetings)
    from forum.models import FollowUpStatus

    labels = dict(FollowUpStatus.choices)
    today = timezone.localdate()
    progress(80, _("Menggambar grafik"))
    charts = {
        "category": bar_chart(
            [(r.label, (r.threads, r.posts)) for r in activity.by_category],
            title=_("Topik dan tulisan per kategori"),
            series=(_("Topik"), _("Tulisan")),
        ),
    }
    return {
        "title": _("Rekap Forum Komunikasi Antar BKM/LKM"),
        "subtitle": _("Keaktifan, pertemuan, keputusan dan tindak lanjut"),
        "parameter_rows": [(_("Tahun"), str(year) if year else _("Seluruh masa"))],
        "activity": activity,
        "meetings": meetings,
        "follow_up_counts": [(labels[k], n) for k, n in statuses.items()],
        "follow_up_total": sum(statuses.values()),
        "today": today,
        "open_statuses": ("open", "in_progress"),
        "charts": charts,
    }
