"""Run every benchmark: `python -m bench` (or `make bench`).

Each `bench/<name>_bench.py` module has a `main()` that prints its figures.
Run one alone with `python -m bench.<name>_bench`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.endswith("_bench"))
    wanted = set(sys.argv[1:])
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"== {name} ==", flush=True)
        sys.argv = [f"bench.{name}"]  # each bench with its default options
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
