"""Settings: `base` (environment-driven, used everywhere) and `test`."""
