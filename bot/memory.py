"""Giving memory back to the system after a burst of large images, and keeping the collector's pauses short.

glibc serves a request of 128 KiB or more with its own ``mmap``, returned to the system when freed,
but it raises that threshold each time such a block is freed (up to 32 MiB), so after one burst of
image chunks every later buffer comes from the heap, and the heap keeps what it grew to. Pinning the
threshold keeps large buffers out of the heap, so the process shrinks back after a burst. Elsewhere
(musl, macOS) this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
LARGE = 128 * 1024  # glibc's own starting threshold


def pin_mmap_threshold(size: int = LARGE) -> bool:
    """Serve every allocation of ``size`` bytes or more by ``mmap`` from now on; False where unsupported."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(name)
        if libc.mallopt(M_MMAP_THRESHOLD, size) == 1:
            return True
    log.debug("mallopt is not available here; the heap may keep what a burst of images grew it to")
    return False


def freeze_startup_heap() -> None:
    """Leave everything alive at startup (modules, the command tree, caches) out of every later collection.

    A full collection walks every tracked object: ~75 000 after startup, 20+ ms each time on this
    machine's cores, a stall of the event loop that grew under load. What startup made lives as
    long as the process, so the collector has nothing to find there. Called once, set up and not
    yet serving (its own full collection takes as long as one).
    """
    global _frozen  # noqa: PLW0603 - once per process
    if _frozen:
        return
    _frozen = True
    gc.collect()  # startup's own garbage first, so it is not kept forever
    gc.freeze()


_frozen = False
