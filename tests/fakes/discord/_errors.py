"""Discord's error responses: status, JSON code and message, as the real API returns them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class DiscordError(Exception):
    """Raised inside a handler; becomes Discord's error JSON."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return web.Response(
            body=json.dumps(body).encode(), status=self.status, headers={"Content-Type": "application/json"}
        )


def invalid_form(field: str, code: str, message: str) -> DiscordError:
    """50035 Invalid Form Body, with Discord's nested error shape."""
    return DiscordError(400, 50035, "Invalid Form Body", {field: {"_errors": [{"code": code, "message": message}]}})


UNKNOWN_INTERACTION = (404, 10062, "Unknown interaction")
ALREADY_ACKNOWLEDGED = (400, 40060, "Interaction has already been acknowledged.")
INVALID_WEBHOOK_TOKEN = (401, 50027, "Invalid Webhook Token")
UNKNOWN_MESSAGE = (404, 10008, "Unknown Message")
UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_GUILD = (404, 10004, "Unknown Guild")
UNKNOWN_MEMBER = (404, 10007, "Unknown Member")
MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
ENTITY_TOO_LARGE = (413, 40005, "Request entity too large")
UNAUTHORIZED = (401, 0, "401: Unauthorized")
CANNOT_EDIT_OTHERS = (403, 50005, "Cannot edit a message authored by another user")
