"""The database: jobs, claims and bot state, on SQLite (embedded default) or PostgreSQL.

``open_storage(DATABASE_URL)`` picks the backend, migrates the schema and returns a
:class:`Storage` whose stores (``storage.jobs`` …) work the same on both.
"""

from .admissions import PendingLimitReached
from .database import DatabaseUnavailable, DatabaseUrl, Dialect
from .jobs import JobStore
from .migrations import SCHEMA_VERSION
from .records import Action, Job, NewJob, Status
from .store import Storage, open_storage

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "DatabaseUnavailable",
    "DatabaseUrl",
    "Dialect",
    "Job",
    "JobStore",
    "NewJob",
    "PendingLimitReached",
    "Status",
    "Storage",
    "open_storage",
]
