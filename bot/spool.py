"""Images in transit live in files, not in memory.

Each process spools the images it downloads, tags and re-encodes into its own folder under
``DATA_DIR/spool/``, writing each file as it streams in and refusing any that grows past a cap.
At most :data:`IN_MEMORY` bytes per image are ever in memory (a smaller image is kept there whole,
never written out), so the memory a process needs does not grow with the size of images, and only
with their number up to that small bound; uploads read the files back in small chunks. A process
removes its folder when it stops; folders left by a killed process are swept at the next start.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, TypeVar

DEFAULT_LIMIT = 64 * 1024 * 1024  # bytes per file: a 4K PNG can be tens of MB
IN_MEMORY = 256 * 1024  # bytes: a file no larger stays in memory (at most this much per image in flight)
STALE_AFTER = 3600.0  # a folder untouched this long holds nothing in transit (jobs time out sooner)
ORPHAN_AFTER = 60.0  # a folder whose process is gone, once nothing wrote to it for this long


class SpoolFull(Exception):
    """A file grew past the spool's cap."""


@dataclass(frozen=True, slots=True)
class SpooledFile:
    """One complete file in a spool; a small one (see :class:`SpoolWriter`) is kept as bytes and has no ``path``."""

    path: Path | None
    size: int
    data: bytes | None = None  # the contents, when there is no file

    def read_bytes(self) -> bytes:
        """The whole file (for small files: a variation's input, an upload, tests)."""
        return self.data if self.data is not None else self.file_path.read_bytes()

    def head(self, count: int) -> bytes:
        """The first ``count`` bytes (a format's signature and header)."""
        with self.open() as file:
            return file.read(count)

    def open(self) -> BinaryIO:
        """The contents to read (blocking for a file)."""
        return io.BytesIO(self.data) if self.data is not None else self.file_path.open("rb")

    def copy_to(self, target: Path) -> None:
        """Write the contents to ``target`` (blocking)."""
        if self.data is not None:
            target.write_bytes(self.data)
        else:
            shutil.copyfile(self.file_path, target)

    @property
    def file_path(self) -> Path:
        """The file on disk (not for a small file kept in memory)."""
        if self.path is None:
            raise ValueError("this spooled file is kept in memory")
        return self.path

    def discard(self) -> None:
        """Remove the file (it may already be gone)."""
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


class SpoolWriter:
    """A file being written chunk by chunk; removed again unless :meth:`finish` is reached.

    The first bytes (the spool's ``in_memory``) are kept in memory and only a larger file goes to disk:
    for a small image, making, reading back and removing a file costs more CPU than the image.
    """

    def __init__(self, spool: Spool, suffix: str, limit: int) -> None:
        self.size = 0
        self._spool, self._suffix, self._limit = spool, suffix, limit
        self._buffer = bytearray()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._finished = False

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Append ``chunk``; raise :class:`SpoolFull` past the cap."""
        self.size += len(chunk)
        if self.size > self._limit:
            raise SpoolFull(f"larger than {self._limit} bytes")
        if self._file is None:
            if self.size <= self._spool.in_memory:
                self._buffer += chunk
                return
            self._path = self._spool.path(self._suffix)
            self._file = self._path.open("wb", buffering=0)  # each chunk is written once, straight to the page cache
            _write_all(self._file, self._buffer)
            self._buffer = bytearray()
        _write_all(self._file, chunk)

    def finish(self) -> SpooledFile:
        """Close the file and return it."""
        self._finished = True
        if self._file is None:
            return SpooledFile(None, self.size, bytes(self._buffer))
        self._file.close()
        return SpooledFile(self._path, self.size)

    def abandon(self) -> None:
        self._finished = True
        self._buffer = bytearray()
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()

    def __enter__(self) -> SpoolWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is not None or not self._finished:
            self.abandon()


def _write_all(file: BinaryIO, data: bytes | bytearray | memoryview) -> None:
    """Write all of ``data`` (an unbuffered file may take only part of it at a time)."""
    view = memoryview(data)
    while view:
        written = file.write(view)
        if not written:
            raise OSError(f"could not write to the spool file {getattr(file, 'name', '')}")
        view = view[written:]


class Spool:
    """One process's folder of files in transit, with a cap on each file's size."""

    def __init__(self, folder: Path, *, limit: int = DEFAULT_LIMIT, in_memory: int = IN_MEMORY) -> None:
        self.folder = folder  # made on first use (see path())
        self.limit = limit
        self.in_memory = in_memory  # bytes: a file no larger is never written out

    @classmethod
    @contextlib.contextmanager
    def under(cls, data_dir: Path, *, limit: int = DEFAULT_LIMIT) -> Iterator[Spool]:
        """This process's spool under ``data_dir/spool``, removed when the block ends."""
        root = data_dir / "spool"
        sweep(root, older_than=STALE_AFTER)
        spool = cls(root / f"{os.getpid()}-{secrets.token_hex(3)}", limit=limit)
        try:
            yield spool
        finally:
            shutil.rmtree(spool.folder, ignore_errors=True)

    def path(self, suffix: str = "") -> Path:
        """A fresh file name in the spool (whose folder is made again if a sweep removed it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{secrets.token_hex(8)}{suffix}"

    def writer(self, suffix: str = "", *, limit: int | None = None) -> SpoolWriter:
        """A new file to stream into, of at most ``limit`` bytes (default: the spool's cap); a context manager."""
        return SpoolWriter(self, suffix, limit if limit is not None else self.limit)

    def adopt(self, path: Path) -> SpooledFile:
        """A file written into :meth:`path` by other means (an encoder), checked against the cap."""
        size = path.stat().st_size
        if size > self.limit:
            path.unlink()
            raise SpoolFull(f"larger than {self.limit} bytes")
        return SpooledFile(path, size)

    def keep(self, data: bytes, suffix: str = "", *, limit: int | None = None) -> SpooledFile:
        """``data`` as a spooled file: in memory when small (see :class:`SpoolWriter`), else written out.

        Raises :class:`SpoolFull` past ``limit`` bytes (default: the spool's cap).
        """
        with self.writer(suffix, limit=limit) as writer:
            writer.write(data)
            return writer.finish()


_default: Spool | None = None


def default_spool() -> Spool:
    """A spool in the system's temporary folder, for clients built without one (tools, tests)."""
    global _default  # noqa: PLW0603 - one per process, made on first use
    if _default is None:
        _default = Spool(Path(tempfile.gettempdir()) / "imagine-spool" / f"{os.getpid()}-{secrets.token_hex(3)}")
        atexit.register(shutil.rmtree, _default.folder, ignore_errors=True)
    return _default


def sweep(root: Path, *, older_than: float) -> None:
    """Remove the spool folders of processes that are gone, and any not written to for ``older_than`` s."""
    if not root.is_dir():
        return
    now = time.time()
    for folder in root.iterdir():
        pid = folder.name.split("-", 1)[0]
        with contextlib.suppress(OSError):
            idle = now - folder.stat().st_mtime
            orphan = idle > ORPHAN_AFTER and not (pid.isdigit() and _alive(int(pid)))
            if orphan or idle > older_than:
                shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


Owned = TypeVar("Owned")


async def gather_owned(tasks: Sequence[asyncio.Future[Owned]], discard: Callable[[Owned], None]) -> list[Owned]:
    """Every task's result, in order; if one fails, the rest are cancelled and what arrived is discarded.

    For tasks that each make a spooled file: a failed batch leaves no file behind, and the first
    error is raised.
    """
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if not isinstance(outcome, BaseException):  # it arrived, but the batch failed: nobody's now
                discard(outcome)
        raise
