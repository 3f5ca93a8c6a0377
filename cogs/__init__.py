"""Slash-command extensions, loaded by ``bot.client.EXTENSIONS``."""
