"""Results that could not be posted anywhere are kept on disk, for ``/show`` to post later."""

from __future__ import annotations

from pathlib import Path

from bot.images import PreparedImage

FOLDER = "undelivered"


def undelivered_folder(data_dir: Path, job_id: str) -> Path:
    """Where a job's undelivered images live."""
    return data_dir / FOLDER / job_id


def keep_undelivered(data_dir: Path, job_id: str, images: list[PreparedImage]) -> Path:
    """Write a result's images to disk (blocking: call through ``asyncio.to_thread``)."""
    folder = undelivered_folder(data_dir, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    for image in images:
        image.file.copy_to(folder / image.filename)
    return folder


def undelivered_images(data_dir: Path, job_id: str) -> list[Path]:
    """A job's kept images, in order (empty if none)."""
    folder = undelivered_folder(data_dir, job_id)
    return sorted(folder.iterdir()) if folder.is_dir() else []
