"""Pinning glibc's mmap threshold, so a burst of image buffers is given back to the system."""

from __future__ import annotations

import platform

import pytest

from bot.memory import pin_mmap_threshold


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_threshold_is_pinned_on_glibc() -> None:
    assert pin_mmap_threshold() is True
