"""Static files: fingerprinted and pre-compressed in every mode (issue 14).

`collectstatic` (the Dockerfile, and `make run` before the server starts) writes each file under a
name carrying its content hash, with `.gz` and `.br` copies; WhiteNoise serves the compressed copy
the browser accepts and marks hashed names immutable, so a repeat visit asks for no static file.

Django's manifest storage gives the plain name while DEBUG is on (so edits show without collecting
again); `make run` runs with DEBUG on, and a phone on a slow link would then fetch uncompressed,
uncacheable files. Here the hashed name is used whenever a manifest was collected; without one
(`runserver` on a fresh checkout) the plain name is served from the source folders as before.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class FingerprintedStaticStorage(CompressedManifestStaticFilesStorage):
    def url(self, name: Any, force: bool = False) -> str:
        return super().url(name, force=force or bool(self.hashed_files))
