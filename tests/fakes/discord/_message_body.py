"""Message bodies: reading JSON or multipart requests, and creating and updating stored messages."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from aiohttp import web
from PIL import Image

from . import _errors as E
from ._errors import invalid_form
from ._layout import IS_COMPONENTS_V2, check_layout, number_components
from ._limits import check_components, error_from
from ._model import Attachment, Channel, Interaction, Message, snowflake
from ._state import NONCE_WINDOW, _FakeState

_MENTION = re.compile(r"<@!?(\d+)>")
_PARSE_ALL = {"parse": ["users", "roles", "everyone"]}


class _MessageBodyMixin(_FakeState):
    """Read request bodies and turn them into stored messages and attachments."""

    async def _read_body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if not request.content_type.startswith("multipart/"):
            return (await request.json() if request.can_read_body else {}), []
        payload: dict[str, Any] = {}
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif part.name and part.name.startswith("files["):
                files.append((part.filename or "file", bytes(await part.read())))  # type: ignore[union-attr]
        if files:
            await self.uploads_held.wait()
        return payload, files

    def _check_files(self, files: list[tuple[str, bytes]]) -> None:
        for _, data in files:
            if len(data) > self.upload_limit:
                raise error_from(E.ENTITY_TOO_LARGE)

    def _check_layout(self, payload: dict[str, Any], files: list[tuple[str, bytes]], message: Message | None) -> None:
        """The components of a create (``message`` None) or an edit: classic rows, or Components V2 rules checked
        against the files the message will hold."""
        was_v2 = message is not None and message.is_v2
        flags = payload.get("flags")
        if was_v2 and flags is not None and not flags & IS_COMPONENTS_V2:
            raise invalid_form("flags", "MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG",
                               "The IS_COMPONENTS_V2 flag cannot be removed from a message.")  # fmt: skip
        if not (was_v2 or (flags or 0) & IS_COMPONENTS_V2):
            check_components(payload.get("components") or [])  # the classic layout: action rows only
            return
        held = message.attachments if message is not None else []
        if "attachments" in payload:
            listed = {str(a.get("id")) for a in payload["attachments"] or []}
            held = [a for a in held if str(a.id) in listed]
        filenames = {a.filename for a in held} | {name for name, _ in files}
        merged = dict(payload)
        if message is not None:  # an edit: what the message will hold afterwards must be a V2 message
            merged.setdefault("content", message.content)
            merged.setdefault("embeds", message.embeds)
            if was_v2:
                merged.setdefault("components", message.components)
        check_layout(merged, filenames, creating=not was_v2)

    def _by_nonce(self, channel: Channel, nonce: object) -> Message | None:
        """A message the bot posted in ``channel`` with ``nonce`` in the last few minutes (Discord's window)."""
        if nonce is None:
            return None
        return next(
            (m for m in self.messages.values() if m.channel_id == channel.id and m.nonce == str(nonce)
             and self.now() - m.created_at < NONCE_WINDOW),
            None,
        )  # fmt: skip

    def _new_message(
        self, channel: Channel, *, content: str = "", webhook: bool = False, interaction: Interaction | None = None,
        ephemeral_to: int | None = None,
    ) -> Message:  # fmt: skip
        message = Message(
            id=snowflake(self.now()), channel_id=channel.id, guild_id=channel.guild_id, author=self.bot_user,
            content=content, webhook_id=self.application_id if webhook else None,
            interaction_id=interaction.id if interaction else None, ephemeral_to=ephemeral_to,
            created_at=self.now(),
        )  # fmt: skip
        self.messages[message.id] = message
        return message

    def _apply(self, message: Message, payload: dict[str, Any], files: list[tuple[str, bytes]],
               *, replace_attachments: bool) -> None:  # fmt: skip
        if "content" in payload:
            message.content = payload["content"] or ""
        if "embeds" in payload:
            message.embeds = payload["embeds"] or []
        if "flags" in payload and payload["flags"] is not None:
            kept = message.flags & (128 | 64 | IS_COMPONENTS_V2)  # loading and ephemeral are not the edit's to set
            message.flags = kept | (payload["flags"] & ~64)
        if "components" in payload:
            components = payload["components"] or []
            message.components = number_components(components) if message.is_v2 else components
        uploaded = [self._upload(name, data, message.channel_id) for name, data in files]
        if replace_attachments:
            keep = {int(a["id"]) for a in payload.get("attachments") or []}
            message.attachments = [a for a in message.attachments if a.id in keep] + uploaded
        else:
            message.attachments += uploaded
        allowed = payload.get("allowed_mentions", _PARSE_ALL)
        parse = set(allowed.get("parse", []))
        users = {int(u) for u in allowed.get("users", [])}
        mentioned = [int(u) for u in _MENTION.findall(message.content)]
        message.mentions = [u for u in mentioned if "users" in parse or u in users]
        message.mention_everyone = "everyone" in parse and (
            "@everyone" in message.content or "@here" in message.content
        )

    def _upload(self, filename: str, data: bytes, channel_id: int, *, ephemeral: bool = False) -> Attachment:
        """A file uploaded in ``channel_id``, which the CDN then serves."""
        attachment = self._attachment(filename, data)
        attachment.channel_id, attachment.ephemeral = channel_id, ephemeral
        self.uploads[attachment.id] = attachment
        return attachment

    def _attachment(self, filename: str, data: bytes) -> Attachment:
        width = height = None
        content_type = "application/octet-stream"
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                content_type = Image.MIME.get(image.format or "", content_type)
        except OSError:
            pass
        return Attachment(snowflake(), filename, data, content_type, width, height)
