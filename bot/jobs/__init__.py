"""Jobs: from admission to delivered images, in the database, across processes and restarts.

This layer knows nothing of Discord views or English: it stores and runs jobs and tells a
:class:`~bot.jobs.presenter.Presenter` what happened.
"""

from .engine import JobEngine
from .fairness import Limits

__all__ = ["JobEngine", "Limits"]
