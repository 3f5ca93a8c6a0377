"""Discord-facing pieces: message text, failure wording and persistent buttons."""
