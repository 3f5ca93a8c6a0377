"""Giving memory back to the system after a burst of large images.

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
