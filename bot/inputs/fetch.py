"""Downloading a member's attachment: only from Discord's attachment hosts, capped while streaming.

The URL comes from the interaction payload (an attachment option or the target message), never
from text a member typed; still, a URL on any other host is refused without a request. The byte
cap is enforced on the bytes that arrive, whatever the declared size says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import aiohttp
from yarl import URL

from bot.catalogue import EditSpec, ModelSpec

from .check import CheckedImage, check_image
from .errors import AttachmentUnavailable, FetchProblem, HostNotAllowed

DISCORD_ATTACHMENT_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")
DEFAULT_TIMEOUT = 30.0  # seconds for one whole download
_CHUNK = 256 * 1024
_GONE = frozenset({403, 404, 410})  # Discord answers 404 for a deleted file, 403/404 for an expired link


class Origin(NamedTuple):
    """Where attachments may come from: scheme, host and port."""

    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, entry: str) -> Origin:
        """``host`` (HTTPS) or ``scheme://host[:port]``, e.g. ``http://127.0.0.1:8123`` for a local Discord."""
        url = URL(entry if "://" in entry else f"https://{entry}")
        if url.scheme not in ("http", "https") or not url.host or url.path not in ("", "/"):
            raise ValueError(f"not a host or an origin: {entry!r}")
        return cls(url.scheme, url.host.lower(), url.port or 443)


class AttachmentFetcher:
    """Downloads input images from Discord's attachment hosts with the bot's aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        extra_hosts: Iterable[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = session
        self._origins = frozenset(Origin.parse(host) for host in (*DISCORD_ATTACHMENT_HOSTS, *extra_hosts))
        self._timeout = timeout

    def allows(self, url: str) -> bool:
        """Whether ``url`` is on an allowed attachment host (and carries no credentials)."""
        try:
            parsed = URL(url)
        except ValueError:
            return False
        if not parsed.is_absolute() or parsed.user is not None or parsed.password is not None or not parsed.host:
            return False
        return Origin(parsed.scheme, parsed.host.lower(), parsed.port or 0) in self._origins

    async def read_capped(self, url: str, *, cap: int, field: str) -> bytes:
        """The attachment's bytes, at most ``cap`` of them: a longer file is cut there, never read further.

        Raises :class:`HostNotAllowed` for a URL off Discord's hosts (no request is made) and
        :class:`AttachmentUnavailable` when the download fails.
        """
        if not self.allows(url):
            raise HostNotAllowed(f"{field}: not an attachment URL of Discord: {URL(url).host!r}")
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        chunks: list[bytes] = []
        size = 0
        try:
            async with self._session.get(url, timeout=timeout, allow_redirects=False) as response:
                if response.status != 200:
                    problem = FetchProblem.GONE if response.status in _GONE else FetchProblem.UNAVAILABLE
                    raise AttachmentUnavailable(field, problem, response.status)
                async for chunk in response.content.iter_chunked(_CHUNK):
                    chunks.append(chunk[: cap - size])
                    size += len(chunk)
                    if size >= cap:
                        break
        except TimeoutError:
            raise AttachmentUnavailable(field, FetchProblem.TIMEOUT) from None
        except aiohttp.ClientError:
            raise AttachmentUnavailable(field, FetchProblem.UNREACHABLE) from None
        return b"".join(chunks)

    async def fetch(self, url: str, spec: ModelSpec | EditSpec, *, field: str, name: str | None = None) -> CheckedImage:
        """Download one attachment and check it against ``spec``'s edit endpoint.

        ``field`` is the image option (``image2``) and ``name`` the file name, both quoted in errors.
        Raises :class:`~bot.catalogue.InvalidOption` (too large, wrong format, pixels, unreadable),
        :class:`AttachmentUnavailable` or :class:`HostNotAllowed`.
        """
        edit = spec.edit if isinstance(spec, ModelSpec) else spec
        # One byte past the limit is enough to know the file is over it: the model's rule says so.
        data = await self.read_capped(url, cap=edit.max_bytes + 1, field=field)
        return await check_image(data, edit, field=field, name=name)
