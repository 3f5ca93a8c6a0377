"""A local stand-in for Discord's REST API and gateway websocket."""

from ._members import GalleryItem
from ._model import Channel, Interaction, Message, User
from .fake import FakeDiscord

__all__ = ["Channel", "FakeDiscord", "GalleryItem", "Interaction", "Message", "User"]
