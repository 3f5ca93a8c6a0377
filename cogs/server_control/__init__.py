"""Server control (#10): ``/settings`` for admins, ``/preferences`` and ``/usage`` for every member."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._preferences import Preferences
from ._settings import Settings
from ._usage import Usage

if TYPE_CHECKING:
    from bot.client import ImagineBot


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Settings(bot))
    await bot.add_cog(Preferences(bot))
    await bot.add_cog(Usage(bot))
