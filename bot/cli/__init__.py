"""The command line: ``python -m bot [COMMAND]`` and the ``imagine-bot`` console script.

Without a command it runs the bot. Each command is a :class:`~bot.cli._common.Command` in its
own module; adding one means writing that module and listing it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import check, invite, migrate, run, worker
from ._common import DISTRIBUTION, Abort, Command, package_version, say

COMMANDS: tuple[Command, ...] = (run.COMMAND, worker.COMMAND, check.COMMAND, invite.COMMAND, migrate.COMMAND)
DEFAULT = run.COMMAND


def build_parser() -> argparse.ArgumentParser:
    """The parser for every command; nothing is read or connected while parsing."""
    parser = argparse.ArgumentParser(
        prog=_program(),
        description="Imagine: a self-hosted Discord bot for AI image generation. Settings come from the environment"
        " and .env (see .env.example).",
        epilog=f"Without a command, '{DEFAULT.name}' is assumed.",
    )
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {package_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(command=command)
    return parser


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Parse the command line, run the command, and exit with its status."""
    args = build_parser().parse_args(argv)
    command: Command = getattr(args, "command", DEFAULT)
    try:
        code = command.run(args)
    except Abort as abort:
        say(str(abort))
        code = abort.code
    raise SystemExit(int(code))


def _program() -> str:
    # ``python -m bot`` shows up as .../bot/__main__.py in argv[0] (Python 3.11); say it as typed.
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else DISTRIBUTION
    return "python -m bot" if name == "__main__.py" else name
