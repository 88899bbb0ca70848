"""The measuring entry point of the benches (bench.peak) and the reports bench's use of it (issue 16)."""

from __future__ import annotations

import json
import resource

import pytest

from bench import peak, reports_bench


def _touch(mib: int) -> bytearray:
    block = bytearray(mib * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return block


def test_vm_hwm_kib_reads_this_process_peak():
    held = _touch(64)
    assert peak.vm_hwm_kib() >= 64 * 1024
    assert peak.vm_hwm_kib() * 1024 >= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 * 0.9
    del held


def test_run_measures_the_child_not_its_parent():
    held = _touch(400)  # the parent's peak is now above 400 MiB
    result = peak.run("bench.peak:allocate", "100")
    del held
    assert result["allocated_mib"] == 100
    # The child's own 100 MiB plus the interpreter (~10-30 MiB), not the parent's 400.
    assert 100 <= result["peak_mib"] < 200


def test_run_agrees_with_gnu_time_within_ten_percent():
    held = _touch(300)
    result = peak.run("bench.peak:allocate", "150", outside=True)  # GNU time: `make system-packages`
    del held
    assert "outside_mib" in result, "no /usr/bin/time"
    assert abs(result["peak_mib"] / result["outside_mib"] - 1) <= 0.10, result


def test_main_refuses_a_target_without_function(capsys):
    assert peak.main(["bench.peak"]) == 2


@pytest.mark.django_db
def test_measure_produces_the_empty_baseline_report():
    report_type, params = reports_bench.EMPTY_REPORT
    result = reports_bench.measure(report_type, json.dumps(params))
    assert result["pages"] >= 1 and result["bytes"] > 0
