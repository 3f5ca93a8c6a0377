"""A local Discord: enough of the v10 REST API and gateway websocket for the real discord.py client.

It enforces what real Discord enforces (acknowledgement deadline, one acknowledgement, token
lifetime, message, Components V2 and modal limits, upload size, command schema and localizations)
and answers with Discord's status codes and error JSON. Files are served from signed, expiring
CDN-like links. Tests inject interactions (with members' locales and uploads) and inspect messages.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import _errors as E
from ._errors import DiscordError
from ._gateway import _GATEWAY_ONLY_GUILD, _GatewayMixin
from ._limits import check_commands, error_from
from ._message_routes import _MessageRoutesMixin
from ._model import snowflake
from ._state import json_response
from ._test_api import _TestApiMixin


class FakeDiscord(_GatewayMixin, _MessageRoutesMixin, _TestApiMixin):
    """The server plus a test-facing API (``slash``, ``click``, ``wait_for`` …).

    What it holds is in ``_state``; the gateway, the message routes and the test-facing API are mixins.
    """

    # ------------------------------------------------------------------ app
    def app(self) -> web.Application:
        app = web.Application(client_max_size=200 * 1024 * 1024, middlewares=[self._errors_middleware])
        r = app.router
        api = "/api/v10"
        r.add_get(f"{api}/users/@me", self._me)
        r.add_get(f"{api}/oauth2/applications/@me", self._application)
        r.add_get(f"{api}/applications/@me", self._application)
        r.add_get(f"{api}/gateway/bot", self._gateway_bot)
        r.add_get(f"{api}/gateway", self._gateway_bot)
        for path in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            r.add_put(api + path, self._put_commands)
            r.add_get(api + path, self._get_commands)
        r.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_route("*", f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._webhook_message)
        r.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        r.add_get(f"{api}/channels/{{channel}}/messages", self._list_messages)
        r.add_route("*", f"{api}/channels/{{channel}}/messages/{{message}}", self._channel_message)
        r.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        r.add_get(f"{api}/guilds/{{guild}}", self._get_guild)
        r.add_get(f"{api}/guilds/{{guild}}/members/{{user}}", self._get_member)
        r.add_get("/attachments/{channel}/{attachment}/{filename}", self._cdn)
        r.add_get("/ephemeral-attachments/{channel}/{attachment}/{filename}", self._cdn)
        r.add_get("/gateway", self._websocket)
        return app

    @web.middleware
    async def _errors_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = request.match_info.route.resource
        self.requests_seen.append(f"{request.method} {route.canonical if route is not None else request.path}")
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except DiscordError as error:
            self.errors.append((f"{request.method} {request.path}", error.status, error.code))
            return error.response()

    # --------------------------------------------------------------- basics
    async def _me(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        return json_response(self.bot_user.to_json())

    async def _application(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        owner = self.users["alice"].to_json()
        return json_response({
            "id": str(self.application_id), "name": "Imagine", "icon": None, "description": "", "summary": "",
            "bot_public": True, "bot_require_code_grant": False, "owner": owner, "verify_key": "0" * 64,
            "flags": 0, "team": None, "rpc_origins": [], "bot": self.bot_user.to_json(),
        })  # fmt: skip

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        ws_url = self.gateway_bot_url or self.base_url.replace("http://", "ws://") + "/gateway"
        return json_response({"url": ws_url, "shards": 1, "session_start_limit": limit})

    async def _get_channel(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        return json_response(self._channel(request).to_json())

    async def _get_guild(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        if request.match_info["guild"] != str(self.guild_id):
            raise error_from(E.UNKNOWN_GUILD)
        return json_response(
            {key: value for key, value in self._guild_json().items() if key not in _GATEWAY_ONLY_GUILD}
        )

    async def _get_member(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        if request.match_info["guild"] != str(self.guild_id):
            raise error_from(E.UNKNOWN_GUILD)
        if request.match_info["user"] != str(self.bot_user.id):
            raise error_from(E.UNKNOWN_MEMBER)
        return json_response(self._bot_member_json())

    # ------------------------------------------------------------- commands
    async def _put_commands(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        if int(request.match_info["app"]) != self.application_id:
            raise error_from(E.MISSING_ACCESS)
        body = await request.json()
        template = request.match_info.route.resource.canonical  # type: ignore[union-attr]
        check_commands(body)
        self._validator.validate("put", _openapi_template(template), body)
        scope = request.match_info.get("guild", "global")
        stored = []
        for command in body:
            # Discord answers with every field, e.g. a context menu's empty description.
            stored.append({"description": "", **command, "id": str(snowflake()),
                           "application_id": str(self.application_id), "version": str(snowflake()),
                           "type": command.get("type", 1)})  # fmt: skip
        self.commands[scope] = stored
        self.command_puts += 1
        await self._notify()
        return json_response(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        return json_response(self.commands.get(request.match_info.get("guild", "global"), []))


def _openapi_template(aiohttp_template: str) -> str:
    return (aiohttp_template.removeprefix("/api/v10")
            .replace("{app}", "{application_id}").replace("{guild}", "{guild_id}"))  # fmt: skip
