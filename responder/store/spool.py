"""The spool: records kept on local disk, encrypted, while the database is away.

One file per key (an inbound message's MessageSid), written whole or not at all: the
record goes to a temporary file, reaches the disk, and is then linked to its name, so
a reader never sees half a file and a second record for the same key leaves the first
in place. The name is a hash of the key, and the content is encrypted with the spool's
own key (privacy/addresses.py): no number or word of a texter is ever on disk in the
clear. Records are read back in the order they were written, by the clock inside
each (file times are too coarse to tell apart two messages a millisecond apart).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

SUFFIX = ".spool"
# Files that could not be read or stored go here, for an operator to look at.
SET_ASIDE = "set-aside"
LOCK = ".lock"


@dataclass(frozen=True)
class Pending:
    """A file waiting in the spool; record is None when it cannot be decrypted or read."""

    path: Path
    record: dict[str, Any] | None


class Spool:
    """A folder of encrypted records, each written atomically under its key."""

    def __init__(self, folder: Path, fernet: Fernet | MultiFernet) -> None:
        self.folder, self.fernet = folder, fernet

    def put(self, key: str, record: dict[str, Any]) -> bool:
        """Keep record under key; False when a record for key was already there."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / (hashlib.sha256(key.encode()).hexdigest() + SUFFIX)
        kept = {"written_ns": time.time_ns(), "record": record}
        token = self.fernet.encrypt(json.dumps(kept).encode())
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(token)
                handle.flush()
                # On disk before it has a name: a crash never leaves a name on nothing.
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            _sync_folder(self.folder)
            return True
        finally:
            os.unlink(tmp)

    def is_empty(self) -> bool:
        """Tell whether no record waits (a missing folder holds none)."""
        try:
            with os.scandir(self.folder) as entries:
                return not any(entry.name.endswith(SUFFIX) for entry in entries)
        except FileNotFoundError:
            return True

    def counted(self) -> tuple[int, int]:
        """Count the records waiting and those set aside, without reading them."""
        return _count(self.folder), _count(self.folder / SET_ASIDE)

    def pending(self) -> list[Pending]:
        """Return every waiting record, oldest first."""
        try:
            paths = [p for p in self.folder.iterdir() if p.name.endswith(SUFFIX)]
        except FileNotFoundError:
            return []
        # Unreadable files sort first, so they are set aside before anything is stored.
        read = [(self._read(path), path) for path in paths]
        read.sort(key=lambda item: (1, item[0][0], item[1].name) if item[0] else (0, 0, ""))
        return [Pending(path, kept[1] if kept else None) for kept, path in read]

    def remove(self, path: Path) -> None:
        """Forget a record once it is stored elsewhere."""
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def set_aside(self, path: Path) -> None:
        """Move a record that cannot be stored out of the way of the others."""
        aside = self.folder / SET_ASIDE
        aside.mkdir(mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.rename(aside / path.name)

    @contextlib.contextmanager
    def draining(self) -> Iterator[bool]:
        """Hold the spool for one reader; yield False when another process holds it.

        Two workers on one machine must not store the same records at once, nor
        out of order.
        """
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.folder / LOCK, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self, path: Path) -> tuple[int, dict[str, Any]] | None:
        """Return a file's write time and record, or None when it cannot be read."""
        try:
            kept = json.loads(self.fernet.decrypt(path.read_bytes()))
            return int(kept["written_ns"]), dict(kept["record"])
        except FileNotFoundError:
            return None
        except (OSError, InvalidToken, ValueError, KeyError, TypeError):
            log.error("spooled file %s cannot be read with this key", path.name)
            return None


def _count(folder: Path) -> int:
    try:
        with os.scandir(folder) as entries:
            return sum(entry.name.endswith(SUFFIX) for entry in entries)
    except FileNotFoundError:
        return 0


def _sync_folder(folder: Path) -> None:
    """Make the new name itself survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
