"""Imagine: a self-hosted Discord bot for AI image generation."""

__version__ = "0.1.0"
