"""Getting a job's message to the channel from any process, even after the interaction expired.

Order of attempts: edit the status message through the interaction's webhook (while its token
is valid: it also works where the bot may not post), then edit it with the bot token, then post
a new message that replies to it. Only REST is used, so a worker process without a gateway
connection delivers exactly as the bot process does. New posts carry a nonce that Discord
enforces, so a post repeated after a crash returns the first message instead of a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord

from bot.images import PreparedImage
from bot.spool import IN_MEMORY
from bot.storage.records import Job

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
_TOKEN_GONE = {50027, 10015}  # Invalid Webhook Token, Unknown Webhook
# Messages uploading large images (read from their files) at once, per process. Each file goes
# out in 256 KiB steps, each a thread hop and a socket write on the event loop: fifty jobs' 2K
# images sent together made every turn of the loop long (p99 lag ~45 ms) without arriving any
# sooner. Four keeps it under 20 ms in the same total time (docs/benchmarks.md). Messages with
# only small images, or none, are never held back.
MAX_LARGE_UPLOADS = 4


@dataclass(frozen=True, slots=True)
class Payload:
    """What a job's message should show."""

    content: str
    images: tuple[PreparedImage, ...] = ()
    view: discord.ui.View | discord.ui.LayoutView | None = None

    def files(self) -> list[discord.File]:
        """The images as uploads: a large one is read from its spooled file in small chunks as it is sent.

        A small one is read at once: less work than reading it chunk by chunk in a thread.
        """
        return [_upload(image) for image in self.images]

    @property
    def streams_files(self) -> bool:
        """Whether an image is large enough to be sent from its file as it uploads."""
        return any(not _read_at_once(image) for image in self.images)


def _read_at_once(image: PreparedImage) -> bool:
    return image.file.data is not None or image.file.size <= IN_MEMORY


def _upload(image: PreparedImage) -> discord.File:
    if _read_at_once(image):  # in memory, or a small file on disk: one quick read
        return discord.File(io.BytesIO(image.file.read_bytes()), filename=image.filename)
    return discord.File(image.file.file_path, filename=image.filename)


class NoRoute(Exception):
    """Neither the interaction nor the bot token could put the message in the channel."""


class Courier:
    """Edits or posts one job's message by whichever route still works."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._large_uploads = asyncio.Semaphore(MAX_LARGE_UPLOADS)

    async def show(
        self, job: Job, payload: Payload, *, replace_files: bool = True, nonce: str | None = None
    ) -> discord.Message:
        """Put ``payload`` on the job's message; return the message that now shows it.

        ``replace_files=False`` leaves attachments as they are (status edits). ``nonce`` makes a
        new post idempotent. Raises :class:`NoRoute` when every route failed.
        """
        async with self._upload_turn(payload if replace_files else None):
            return await self._show(job, payload, replace_files=replace_files, nonce=nonce)

    async def post(self, job: Job, payload: Payload, nonce: str | None = None) -> discord.Message:
        """Post a new message in the job's channel, replying to its status message if there is one."""
        async with self._upload_turn(payload):
            return await self._post(job, payload, nonce)

    @contextlib.asynccontextmanager
    async def _upload_turn(self, payload: Payload | None) -> AsyncIterator[None]:
        """Wait for a turn among :data:`MAX_LARGE_UPLOADS` if ``payload`` streams files; else go at once."""
        if payload is None or not payload.streams_files:
            yield
            return
        async with self._large_uploads:
            yield

    async def _show(self, job: Job, payload: Payload, *, replace_files: bool, nonce: str | None) -> discord.Message:
        edit: dict[str, Any] = {"content": payload.content, "view": payload.view, "allowed_mentions": NO_MENTIONS}
        token = job.token(time.time())
        if token is not None and job.status_message_id is not None and self._client.application_id:
            webhook = discord.Webhook.partial(self._client.application_id, token, client=self._client)
            if replace_files:
                edit["attachments"] = payload.files()
            try:
                return await webhook.edit_message(job.status_message_id, **edit)
            except discord.HTTPException as error:
                if error.code not in _TOKEN_GONE and error.status != 401:
                    raise
                log.info("job %s: interaction token no longer valid; using the bot token", job.id)
        channel = self._client.get_partial_messageable(job.channel_id)
        if job.status_message_id is not None:
            if replace_files:
                edit["attachments"] = payload.files()  # files are consumed by a send: make them anew
            try:
                return await channel.get_partial_message(job.status_message_id).edit(**edit)
            except (discord.NotFound, discord.Forbidden) as error:
                log.info("job %s: cannot edit its status message (%s); posting a reply", job.id, error.code)
        return await self._post(job, payload if replace_files else Payload(payload.content, view=payload.view), nonce)

    async def _post(self, job: Job, payload: Payload, nonce: str | None) -> discord.Message:
        send: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "files": payload.files()}
        if payload.view is not None:
            send["view"] = payload.view
        if nonce is not None:
            send["nonce"] = nonce  # discord.py sends enforce_nonce with it
        if job.status_message_id is not None:
            send["reference"] = discord.MessageReference(
                message_id=job.status_message_id, channel_id=job.channel_id, fail_if_not_exists=False
            )
        try:
            return await self._client.get_partial_messageable(job.channel_id).send(payload.content, **send)
        except (discord.Forbidden, discord.NotFound) as error:
            raise NoRoute(f"cannot post in channel {job.channel_id}: {error.text or error.code}") from None

    async def fetch_status_message(self, job: Job) -> discord.Message | None:
        """The job's status message as it is now, or ``None`` if it is gone or unknown."""
        if job.status_message_id is None:
            return None
        try:
            return await self._client.get_partial_messageable(job.channel_id).fetch_message(job.status_message_id)
        except discord.HTTPException:
            return None
