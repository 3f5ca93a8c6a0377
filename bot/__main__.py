"""Entry point: ``python -m bot`` and the ``imagine-bot`` console script. The command line is :mod:`bot.cli`."""

from __future__ import annotations

from bot.cli import main

if __name__ == "__main__":
    main()
