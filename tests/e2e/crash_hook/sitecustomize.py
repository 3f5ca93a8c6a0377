"""Imported at start-up by a bot process whose PYTHONPATH starts here (tests only).

A job whose prompt is exactly "crash" fails inside the job with an unexpected exception whose
message holds the gateway key, as a careless bug might: the log must show the traceback, redacted.
"""

from __future__ import annotations

import os
from typing import Any


def _install() -> None:
    from bot.jobs import producer

    original = producer.Producer.produce

    async def produce(self: producer.Producer, job: Any, **options: Any) -> producer.Produced:
        if job.request.prompt == "crash":
            raise RuntimeError(f"unexpected state while holding {os.environ.get('GATEWAY_API_KEY')}")
        return await original(self, job, **options)

    producer.Producer.produce = produce  # type: ignore[method-assign]


_install()
