"""Jobs: from an accepted command to delivered images, surviving waits, restarts and expiry."""

from .engine import JobEngine
from .scheduler import Limits

__all__ = ["JobEngine", "Limits"]
