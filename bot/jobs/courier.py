"""Getting a message to the user, even after the 15-minute interaction token has expired.

Order of attempts: edit the status message through the interaction (while its token is valid),
then edit it with the bot token through the channel, then post a new channel message that
replies to it. The last two also work after a restart, when no interaction exists any more.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

import discord

from bot.images import PreparedImage

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
_TOKEN_GONE = {50027, 10015}  # Invalid Webhook Token, Unknown Webhook


@dataclass(frozen=True, slots=True)
class Payload:
    """What a job's message should show."""

    content: str
    images: tuple[PreparedImage, ...] = ()
    view: discord.ui.View | None = None

    def files(self) -> list[discord.File]:
        return [discord.File(io.BytesIO(image.data), filename=image.filename) for image in self.images]


class Undeliverable(Exception):
    """Neither the interaction nor the bot token could put the message in the channel."""


class Courier:
    """Edits or posts one job's message by whichever route still works."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def show(
        self,
        *,
        channel_id: int,
        status_message_id: int | None,
        interaction: discord.Interaction[Any] | None,
        payload: Payload,
        replace_files: bool = True,
    ) -> discord.Message:
        """Put ``payload`` on the job's message; return the message that now shows it.

        ``replace_files=False`` leaves attachments as they are (status edits). Raises
        :class:`Undeliverable` when every route failed.
        """
        edit: dict[str, Any] = {"content": payload.content, "view": payload.view, "allowed_mentions": NO_MENTIONS}
        if replace_files:
            edit["attachments"] = payload.files()
        if interaction is not None and not interaction.is_expired():
            try:
                return await interaction.edit_original_response(**edit)
            except discord.HTTPException as error:
                if error.code not in _TOKEN_GONE and error.status != 401:
                    raise
                log.info("interaction token no longer valid; using the bot token")
        channel = self._client.get_partial_messageable(channel_id)
        if status_message_id is not None:
            if replace_files:
                edit["attachments"] = payload.files()  # the files above may have been consumed
            try:
                return await channel.get_partial_message(status_message_id).edit(**edit)
            except (discord.NotFound, discord.Forbidden) as error:
                log.info("cannot edit status message %s (%s); posting a reply", status_message_id, error.code)
        send: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "files": payload.files() if replace_files else []}
        if payload.view is not None:
            send["view"] = payload.view
        if status_message_id is not None:
            send["reference"] = discord.MessageReference(
                message_id=status_message_id, channel_id=channel_id, fail_if_not_exists=False
            )
        try:
            return await channel.send(payload.content, **send)
        except (discord.Forbidden, discord.NotFound) as error:
            raise Undeliverable(f"cannot post in channel {channel_id}: {error.text or error.code}") from None

    async def already_delivered(self, channel_id: int, status_message_id: int | None, job_id: str) -> bool:
        """Whether the status message already shows this job's result (a crash right after delivery)."""
        if status_message_id is None:
            return False
        try:
            message = await self._client.get_partial_messageable(channel_id).fetch_message(status_message_id)
        except discord.HTTPException:
            return False
        ids = [getattr(c, "custom_id", "") for row in message.components for c in getattr(row, "children", [])]
        return bool(message.attachments) and any(i.endswith(f":{job_id}") for i in ids)
