"""Pinning glibc's mmap threshold (a burst of image buffers is given back), and freezing the startup heap."""

from __future__ import annotations

import gc
import platform

import pytest

from bot import memory
from bot.memory import pin_mmap_threshold


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_threshold_is_pinned_on_glibc() -> None:
    assert pin_mmap_threshold() is True


def test_the_startup_heap_is_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_frozen", False)
    try:
        memory.freeze_startup_heap()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        made_later = [[] for _ in range(100)]  # what runs after startup stays collectable
        memory.freeze_startup_heap()  # READY again after a reconnect: nothing more is frozen
        assert gc.get_freeze_count() == frozen and made_later
    finally:
        gc.unfreeze()
