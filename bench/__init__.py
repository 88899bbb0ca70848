"""Benchmarks: runnable modules printing figures (`python -m bench` runs all, `python -m bench.<name>` one)."""
