"""Benchmarks: runnable modules printing figures (`python -m bench.<name>`)."""
