"""Peak memory of one piece of work, measured by a process of its own.

    python -m bench.peak MODULE:FUNCTION [ARG ...]

A parent starts this entry point with `run()` (subprocess: a fresh exec, so a new address space).
It calls `FUNCTION(*ARGS)`, which returns a dict, and prints that dict as one JSON line with
`peak_mib` added: the process's own high-water mark of resident memory, read from the kernel
(`VmHWM` in /proc/self/status). That figure starts at zero with the exec; `ru_maxrss` does not —
on Linux the exec'd child keeps the peak its parent had when it forked, which is how the reports
bench once printed the parent's 4 GiB for every report (issue 16).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def vm_hwm_kib(status: str = "/proc/self/status") -> int:
    """This process's peak resident set size in KiB (VmHWM)."""
    for line in Path(status).read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM in {status}")


def main(argv: list[str]) -> int:
    if not argv or ":" not in argv[0]:
        print(__doc__, file=sys.stderr)
        return 2
    module, _, name = argv[0].partition(":")
    result = dict(getattr(importlib.import_module(module), name)(*argv[1:]))
    result["peak_mib"] = round(vm_hwm_kib() / 1024, 1)
    print(json.dumps(result), flush=True)
    return 0


def run(target: str, *args: str, outside: bool = False) -> dict:
    """Run `target` in a fresh process; its result with `peak_mib`. With `outside=True` (and
    /usr/bin/time present) the process runs under `/usr/bin/time -v` and the result also has
    `outside_mib`, GNU time's "Maximum resident set size" of the same process, to check one
    measurement against the other."""
    command = [sys.executable, "-m", "bench.peak", target, *args]
    timed = outside and os.path.exists("/usr/bin/time")
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    out = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT, env=os.environ)
    if out.returncode != 0:
        raise RuntimeError(f"{target} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if timed:
        for line in out.stderr.splitlines():
            if "Maximum resident set size" in line:
                result["outside_mib"] = round(int(line.rsplit(":", 1)[1]) / 1024, 1)
    return result


def allocate(mib: str) -> dict:
    """Touch `mib` MiB and keep it until the process ends (for tests of this module)."""
    block = bytearray(int(mib) * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    allocate.kept = block  # type: ignore[attr-defined]
    return {"allocated_mib": int(mib)}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
