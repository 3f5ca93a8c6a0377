"""``python -m bot invite``: print the URL that adds the bot to a server with the permissions it needs."""

from __future__ import annotations

import argparse
import asyncio

import discord

from bot.access import invite_url
from bot.login import DiscordUnreachable, logged_in, within
from bot.settings import DiscordAccess, SettingsError

from ._common import Abort, Command, ExitCode, load_env


def _application_id(value: str) -> int:
    if not value.isdigit() or not 15 <= len(value) <= 21:
        raise argparse.ArgumentTypeError(f"an application ID is a number of 17 to 20 digits, not {value!r}")
    return int(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--application-id``: skip asking Discord (then no token is needed)."""
    parser.add_argument(
        "--application-id",
        type=_application_id,
        metavar="ID",
        help="the application's ID (Developer Portal → General Information); without it, DISCORD_TOKEN is used to"
        " ask Discord",
    )


async def fetch_application_id(access: DiscordAccess) -> int:
    """Ask Discord which application the token belongs to."""
    async with logged_in(access) as login:
        application = await within(login.http.application_info(), access)
    return int(application["id"])


def main(args: argparse.Namespace) -> ExitCode:
    """Print the invite URL."""
    application_id: int | None = args.application_id
    if application_id is None:
        load_env()
        try:
            access = DiscordAccess.from_env()
            application_id = asyncio.run(fetch_application_id(access))
        except SettingsError as error:
            raise Abort(f"Configuration error: {error}", ExitCode.CONFIGURATION) from None
        except discord.LoginFailure:
            raise Abort("Configuration error: DISCORD_TOKEN was rejected by Discord.", ExitCode.CONFIGURATION) from None
        except DiscordUnreachable as error:
            raise Abort(f"{error}: try again, or give --application-id.", ExitCode.FAILED) from None
    print(invite_url(application_id), flush=True)
    return ExitCode.OK


COMMAND = Command(
    "invite",
    "Print the invite URL: scopes bot and applications.commands, and the permissions the bot needs.",
    main,
    add_arguments,
)
