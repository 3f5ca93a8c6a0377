"""REST routes for messages: interaction callbacks, webhooks (follow-ups, @original), channel messages, the CDN."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from . import _errors as E
from ._errors import DiscordError
from ._limits import check_autocomplete_choices, check_message, error_from
from ._message_body import _MessageBodyMixin
from ._modal import check_modal
from ._model import CDN_LINK_LIFETIME, Interaction, Message, cdn_signature
from ._state import TOKEN_LIFETIME, json_response


class _MessageRoutesMixin(_MessageBodyMixin):
    """Answer the interaction callback, webhook and channel message routes, as Discord does."""

    # --------------------------------------------------------- interactions
    def _interaction(self, request: web.Request, *, for_webhook: bool) -> Interaction:
        token = request.match_info["token"]
        found = self.interactions_by_token.get(token)
        if for_webhook:
            if int(request.match_info["app"]) != self.application_id or found is None:
                raise DiscordError(404, 10015, "Unknown Webhook")
            if self.now() - found.created_at > TOKEN_LIFETIME:
                raise error_from(E.INVALID_WEBHOOK_TOKEN)
            if not found.acknowledged:
                raise DiscordError(404, 10015, "Unknown Webhook")
            return found
        if found is None or found.id != int(request.match_info["id"]):
            raise error_from(E.UNKNOWN_INTERACTION)
        return found

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, for_webhook=False)
        payload, files = await self._read_body(request)
        if isinstance(payload.get("data"), dict):  # Discord's specific limits first, then the schema
            if payload.get("type") == 9:
                check_modal(payload["data"])
            else:
                check_message(payload["data"], len(files))
                self._check_response_layout(interaction, payload, files)
        self._validator.validate("post", "/interactions/{interaction_id}/{interaction_token}/callback", payload)
        if self.now() - interaction.created_at > self.ack_deadline:
            raise error_from(E.UNKNOWN_INTERACTION)
        if interaction.acknowledged:
            raise error_from(E.ALREADY_ACKNOWLEDGED)
        kind = payload["type"]
        data = payload.get("data") or {}
        message: Message | None = None
        if kind in (4, 5):
            ephemeral = bool(data.get("flags", 0) & 64)
            self._check_files(files)
            check_message(data, len(files))
            message = self._new_message(
                interaction.channel, content=data.get("content", "") if kind == 4 else "",
                webhook=True, interaction=interaction, ephemeral_to=interaction.user.id if ephemeral else None,
            )  # fmt: skip
            message.type = 20 if interaction.type == 2 else 19
            if kind == 5:
                message.flags |= 128  # LOADING: "<bot> is thinking…"
            else:
                self._apply(message, data, files, replace_attachments=True)
            interaction.original_id = message.id
        elif kind == 7:
            message = self.messages[int(interaction.payload["message"]["id"])]
            check_message(data, len(files))
            self._apply(message, data, files, replace_attachments="attachments" in data)
        elif kind == 8:
            check_autocomplete_choices(data.get("choices", []))
        elif kind == 9 and interaction.type in (4, 5):
            raise E.invalid_form("type", "INTERACTION_RESPONSE_TYPE_INVALID", "A modal cannot answer this interaction")
        interaction.acked_at = self.now()
        interaction.ack_latency = time.monotonic() - interaction.dispatched_monotonic
        interaction.ack_type = kind
        interaction.response = payload
        await self._notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        summary: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        out: dict[str, Any] = {"interaction": summary}
        if message is not None:
            summary |= {"response_message_id": str(message.id), "response_message_loading": message.loading,
                        "response_message_ephemeral": message.ephemeral_to is not None}  # fmt: skip
            out["resource"] = {"type": kind, "message": message.to_json(self.base_url, self.now())}
        return json_response(out)

    def _check_response_layout(
        self, interaction: Interaction, payload: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> None:
        """Components V2 rules for a callback's new message (type 4) or its update of the clicked message (type 7)."""
        if payload.get("type") == 4:
            self._check_layout(payload["data"], files, None)
        elif payload.get("type") == 7 and "message" in interaction.payload:
            self._check_layout(payload["data"], files, self.messages[int(interaction.payload["message"]["id"])])

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, for_webhook=True)
        payload, files = await self._read_body(request)
        check_message(payload, len(files))
        original = self.messages.get(interaction.original_id or 0)
        replaces = original is not None and original.loading and not original.deleted
        self._check_layout(payload, files, original if replaces else None)
        self._validator.validate("post", "/webhooks/{webhook_id}/{webhook_token}", payload)
        self._check_files(files)
        if original is not None and replaces:
            # Discord: the first follow-up after a deferred response replaces the loading message.
            message = original
            message.flags &= ~128
        else:
            ephemeral = bool(payload.get("flags", 0) & 64)
            message = self._new_message(interaction.channel, webhook=True, interaction=interaction,
                                        ephemeral_to=interaction.user.id if ephemeral else None)  # fmt: skip
        self._apply(message, payload, files, replace_attachments=True)
        await self._notify()
        return json_response(message.to_json(self.base_url, self.now()))

    async def _webhook_message(self, request: web.Request) -> web.StreamResponse:
        interaction = self._interaction(request, for_webhook=True)
        target = request.match_info["message"]
        message_id = interaction.original_id if target == "@original" else int(target)
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted or message.interaction_id != interaction.id:
            raise error_from(E.UNKNOWN_MESSAGE)
        template = "/webhooks/{webhook_id}/{webhook_token}/messages/" + (
            "@original" if target == "@original" else "{message_id}"
        )
        return await self._message_verb(request, message, template)

    # -------------------------------------------------------------- channel
    async def _create_message(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        channel = self._channel(request)
        if not channel.bot_can_send:
            raise error_from(E.MISSING_PERMISSIONS)
        payload, files = await self._read_body(request)
        check_message(payload, len(files))
        self._check_layout(payload, files, None)
        self._validator.validate("post", "/channels/{channel_id}/messages", payload)
        self._check_files(files)
        if payload.get("enforce_nonce") and (repeated := self._by_nonce(channel, payload.get("nonce"))) is not None:
            return json_response(
                repeated.to_json(self.base_url, self.now())
            )  # Discord returns the first message, posts nothing
        message = self._new_message(channel)
        message.nonce = str(payload["nonce"]) if payload.get("nonce") is not None else None
        reference = payload.get("message_reference")
        if reference:
            referenced = self.messages.get(int(reference["message_id"]))
            if referenced is None or referenced.deleted:
                if reference.get("fail_if_not_exists", True):
                    raise E.invalid_form("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
            else:
                message.reference_id = referenced.id
        self._apply(message, payload, files, replace_attachments=True)
        await self._notify()
        return json_response(message.to_json(self.base_url, self.now()))

    async def _list_messages(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        channel = self._channel(request)
        visible = [
            m for m in self.messages.values() if m.channel_id == channel.id and not m.deleted and m.ephemeral_to is None
        ]
        limit = int(request.query.get("limit", "50"))
        return json_response(
            [m.to_json(self.base_url, self.now()) for m in sorted(visible, key=lambda m: -m.id)[:limit]]
        )

    async def _channel_message(self, request: web.Request) -> web.StreamResponse:
        self._bot_auth(request)
        self._channel(request)
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or message.deleted or message.ephemeral_to is not None:
            raise error_from(E.UNKNOWN_MESSAGE)
        if request.method == "PATCH" and message.author.id != self.bot_user.id:
            raise error_from(E.CANNOT_EDIT_OTHERS)
        return await self._message_verb(request, message, "/channels/{channel_id}/messages/{message_id}")

    async def _message_verb(self, request: web.Request, message: Message, template: str) -> web.StreamResponse:
        if request.method == "GET":
            return json_response(message.to_json(self.base_url, self.now()))
        if request.method == "DELETE":
            message.deleted = True
            await self._notify()
            return web.Response(status=204)
        if request.method != "PATCH":
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH", "DELETE"])
        payload, files = await self._read_body(request)
        existing = {a.id for a in message.attachments}
        listed = payload.get("attachments")
        kept = len(existing) if listed is None else sum(1 for a in listed if int(a["id"]) in existing)
        check_message(payload, kept + len(files))
        self._check_layout(payload, files, message)
        self._validator.validate("patch", template, payload)
        self._check_files(files)
        message.flags &= ~128
        self._apply(message, payload, files, replace_attachments="attachments" in payload)
        message.edited_at = self.now()
        message.revisions += 1
        await self._notify()
        return json_response(message.to_json(self.base_url, self.now()))

    async def _cdn(self, request: web.Request) -> web.Response:
        """A signed attachment link: the bytes while the link is valid, else Discord's 404."""
        attachment = self.uploads.get(int(request.match_info["attachment"]))
        try:
            expires, issued = int(request.query["ex"], 16), int(request.query["is"], 16)
        except (KeyError, ValueError):
            expires = issued = 0
        path = request.path
        valid = (
            attachment is not None
            and attachment.path == path
            and expires - issued == CDN_LINK_LIFETIME
            and self.now() < expires
            and request.query.get("hm") == cdn_signature(path, expires, issued)
        )
        if not valid or attachment is None:
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=attachment.data, content_type=attachment.content_type)
