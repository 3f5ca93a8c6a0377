"""What members do outside interactions: their client language, and messages with their own uploads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ._layout import gallery_media
from ._message_body import _MessageBodyMixin
from ._model import Channel, Message, snowflake
from ._spec import discord_locales


@dataclass(frozen=True)
class GalleryItem:
    """One media gallery item of a Components V2 message, as a member sees it."""

    url: str  # as the bot sent it: ``attachment://name`` or a link
    filename: str | None  # the message's own file it shows, if it shows one
    description: str | None


class _MembersMixin(_MessageBodyMixin):
    """Members' languages and uploads, and reading what a Components V2 message shows."""

    @property
    def attachment_base_url(self) -> str:
        """Where the fake serves attachments (Discord: ``https://cdn.discordapp.com``): the host a bot must allow."""
        return self.base_url

    def set_locale(self, user: str, locale: str) -> None:
        """The client language ``user``'s interactions carry as ``locale`` (default ``en-US``)."""
        if locale not in discord_locales():
            raise ValueError(f"Discord has no locale {locale!r}")
        self.locales[self.users[user].id] = locale

    def post_message(
        self, user: str, content: str = "", files: Sequence[tuple[str, bytes]] = (), channel: Channel | None = None
    ) -> Message:
        """``user`` posts a message with uploads ``(filename, bytes)`` in ``channel`` (default: #general).

        The bot sees it through GET /channels/{id}/messages/{id} and on interactions that target it; it is
        not dispatched over the gateway (the bot asks only for the GUILDS intent).
        """
        if not content and not files:
            raise ValueError("Discord does not post an empty message")
        channel = channel or self.channel
        message = Message(id=snowflake(self.now()), channel_id=channel.id, guild_id=channel.guild_id,
                          author=self.users[user], content=content, created_at=self.now())  # fmt: skip
        message.attachments = [self._upload(name, data, channel.id) for name, data in files]
        self.messages[message.id] = message
        return message

    def gallery(self, message: Message) -> list[GalleryItem]:
        """The media gallery items of a Components V2 message, in order, with the uploaded file each shows."""
        by_id = {a.id: a.filename for a in message.attachments}
        names = set(by_id.values())
        out = []
        for item in gallery_media(message.components):
            url = str(item["media"]["url"])
            filename: str | None = None
            if url.startswith("attachment://"):
                filename = url.removeprefix("attachment://") if url.removeprefix("attachment://") in names else None
            else:  # a link to one of this message's own files (an edit may send the CDN link back)
                parts = unquote(urlsplit(url).path).split("/")
                if url.startswith(self.attachment_base_url) and len(parts) == 5 and parts[3].isdigit():
                    filename = by_id.get(int(parts[3]))
            out.append(GalleryItem(url, filename, item.get("description")))
        return out
