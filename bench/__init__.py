"""Benchmarks: the bot against the local Discord and gateway, compared with a minimal reference bot."""
