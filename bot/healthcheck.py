"""Container health check: healthy while this container's process (bot or worker) beats.

Run as ``python -m bot.healthcheck``; exits 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bot.heartbeat import MAX_AGE, heartbeat_path


def main() -> int:
    """Check the heartbeat written by the process running beside this check."""
    path = heartbeat_path(Path(os.environ.get("DATA_DIR") or "data"))
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: no heartbeat at {path}")
        return 1
    if age > MAX_AGE:
        print(f"unhealthy: last heartbeat {age:.0f}s ago")
        return 1
    print(f"healthy: last heartbeat {age:.0f}s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
