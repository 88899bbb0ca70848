"""Test-only report types, registered on import.

A worker started with `-I tests.reports.report_types` knows them too:
`uji_lambat` runs long enough to be killed mid-run; `uji_upk` is UPK-scoped
(like the monthly UPK report the ledger adds after the merge). With `hold`, a
build waits (at most HOLD_TIMEOUT seconds) until a test in the same process
sets `RELEASE`: what a user sees while a run is still being built.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django import forms

from bkm.models import Unit
from reports.forms import ReportParamsForm
from reports.registry import ReportType, register

TEMPLATE = "reports/pdf/base.html"
RELEASE = threading.Event()
HOLD_TIMEOUT = 20


class Params(ReportParamsForm):
    upk = forms.ModelChoiceField(queryset=Unit.objects.filter(unit_type="upk"), required=False)
    steps = forms.IntegerField(required=False, min_value=1, max_value=10_000)
    hold = forms.BooleanField(required=False)


def build(*, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
    if params.get("hold"):
        progress(10, "Menunggu tanda dari uji")
        RELEASE.wait(timeout=HOLD_TIMEOUT)
    steps = params.get("steps", 1)
    for i in range(steps):
        progress(100 * (i + 1) / steps, f"Langkah {i + 1}")
        if steps > 1:
            time.sleep(0.1)
    return {"title": "Laporan uji", "subtitle": "", "parameter_rows": []}


register(ReportType(name="uji_lambat", label="Uji lambat", builder=__name__, scope="staff"))
register(ReportType(name="uji_upk", label="Uji UPK", builder=__name__, scope="upk"))
