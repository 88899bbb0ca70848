"""Uploaded files written safely, and an Indonesian answer when the disk refuses (issue 13).

`SafeFileSystemStorage` (the default storage) writes each file to a temp name in its directory,
fsyncs it, links it to its final name (never over another file), fsyncs the directory and removes
the temp name — on every path, including failures: a full or read-only disk leaves no partial file.

`file_writes()` wraps a service that stores files in a transaction (as a decorator above
`transaction.atomic`): when the service fails for any reason, the files it already stored are
removed, so a refused upload leaves no file and no row; a disk error becomes a ValidationError
with an Indonesian message (the path and the OS text go to the log only).
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}

_tracking = threading.local()


def storage_error_message(exc: OSError) -> str:
    """What a user is told about a disk error: never the path or the OS text."""
    if exc.errno in DISK_FULL:
        return _("Ruang penyimpanan server penuh; berkas tidak disimpan dan tidak ada yang dicatat. Hubungi admin.")
    if exc.errno in NOT_WRITABLE:
        return _(
            "Penyimpanan server sedang tidak dapat ditulisi; berkas tidak disimpan dan tidak ada yang dicatat. "
            "Hubungi admin."
        )
    return _("Berkas tidak dapat disimpan karena gangguan penyimpanan server; tidak ada yang dicatat.")


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_chunks(fh: Any, content: Any) -> None:
    if hasattr(content, "seek"):
        content.seek(0)
    for chunk in content.chunks():
        fh.write(chunk)


class SafeFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            old_umask = os.umask(0o777 & ~self.directory_permissions_mode)
            try:
                os.makedirs(directory, self.directory_permissions_mode, exist_ok=True)
            finally:
                os.umask(old_umask)
        else:
            os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_chunks(fh, content)
                fh.flush()
                os.fsync(fh.fileno())
            while True:
                try:
                    os.link(tmp, full_path)  # fails if the name is taken: nothing is overwritten
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
                except OSError as exc:
                    if exc.errno not in _NO_HARD_LINKS:
                        raise
                    if os.path.exists(full_path):
                        name = self.get_available_name(name)
                        full_path = self.path(name)
                        continue
                    os.replace(tmp, full_path)
                    break
            _fsync_dir(directory)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        stack = getattr(_tracking, "stack", None)
        if stack:
            stack[-1].append((self, name))
        return str(name).replace("\\", "/")


@contextmanager
def file_writes() -> Iterator[None]:
    """Remove the files stored inside if the block fails; turn disk errors into Indonesian messages."""
    stack = getattr(_tracking, "stack", None)
    if stack is None:
        stack = _tracking.stack = []
    stack.append([])
    try:
        yield
    except BaseException as exc:
        for storage, name in stack[-1]:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("Could not remove %s after a failed write", name)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL | NOT_WRITABLE | {errno.EIO}:
            logger.error("Storage refused a write: %s", exc)
            raise ValidationError(storage_error_message(exc)) from exc
        raise
    else:
        saved = stack[-1]
        if len(stack) > 1:
            stack[-2].extend(saved)  # an enclosing block may still fail and must remove these too
    finally:
        stack.pop()


def media_writable() -> bool:
    """True when a file can be written to and removed from the default storage (health check)."""
    try:
        directory = default_storage.path("")
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".health-", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except (OSError, NotImplementedError):
        return False
    return True


def open_stored(name: str, *, what: str) -> Any:
    """Open a stored file for a download view; a file the database names but the disk lacks is a
    404 (and an error in the log naming the row — `manage.py media_missing` lists them all)."""
    from django.http import Http404

    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        logger.error("Missing media file %s (%s)", name, what)
        raise Http404 from exc
