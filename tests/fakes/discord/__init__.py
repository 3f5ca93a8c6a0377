"""A local stand-in for Discord's REST API and gateway websocket."""

from ._model import Channel, Interaction, Message, User
from .fake import FakeDiscord

__all__ = ["Channel", "FakeDiscord", "Interaction", "Message", "User"]
