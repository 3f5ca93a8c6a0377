"""What `/settings` and `/preferences` say: effective values with their sources, confirmations, refusals.

English for now; every sentence of these commands lives here so that moving them into the
language catalogues touches one file. Mentions are written as ``<@&id>``/``<#id>`` and are
sent with mentions disabled, so nothing pings.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.catalogue import CATALOGUE, InvalidOption
from bot.policy import Ceilings, DefaultField, Effective, ModelDefaults, ServerPolicy, Source, effective_view

MESSAGE_LIMIT = 2000  # Discord's content limit
LIST_SHOWN = 6  # ids shown per list before "and N more"
BLOCKLIST_SHOWN_CHARS = 240

SOURCE_NAMES = {
    Source.BOT_DEFAULT: "bot default",
    Source.SERVER: "server",
    Source.CHANNEL: "channel",
    Source.MEMBER: "you",
}
# The option names the commands use, so an admin can see what to type to change a value.
FIELD_NAMES = {
    DefaultField.SIZE: "size",
    DefaultField.COUNT: "count",
    DefaultField.PROMPT_EXTEND: "prompt_rewrite",
    DefaultField.THINKING_MODE: "thinking",
    DefaultField.SEQUENTIAL: "image_set",
    DefaultField.WATERMARK: "watermark",
}

NOT_MANAGER = "🔒 Only members with the **Manage Server** permission can change or view the server's settings."
GUILD_ONLY = "🏠 Server settings only exist in a server. Run this command in one of its channels."
NOTHING_GIVEN = "🤷 Nothing to change: give at least one option."
DMS_DISABLED = "🚪 I don't make images in direct messages, so there is no usage to show here."
RESET_ASK = (
    "⚠️ Reset **all** of this server's settings (allowances, channels, roles, defaults, blocklist) "
    "to the bot's defaults? This can't be undone."
)
RESET_DONE = "✅ This server's settings are back to the bot's defaults."
RESET_CANCELLED = "↩️ Cancelled; nothing changed."
RESET_TIMED_OUT = "⌛ No answer, so nothing changed."
CONFIRM_LABEL = "Reset everything"
CANCEL_LABEL = "Cancel"
NOT_YOURS = "These buttons belong to whoever ran the command."
PREFERENCES_RESET = "✅ Your preferences are cleared; server and bot defaults apply again."


def refused_option(error: InvalidOption) -> str:
    """An option value that the model does not accept."""
    return "❌ " + error.user_message


def entry_too_long(entry: str, most: int) -> str:
    """A blocklist entry over the length limit."""
    return f"❌ Blocklist entries are at most {most} characters; `{_code(entry[:40])}…` is longer."


def blocklist_full(most: int, would_be: int) -> str:
    """Adding would take the blocklist past its cap."""
    return f"❌ The blocklist holds at most {most} entries; this would make {would_be}. Remove some first."


# -- confirmations -------------------------------------------------------------------------


def limits_saved(policy: ServerPolicy, ceilings: Ceilings) -> str:
    """After `/settings limits`."""
    return "\n".join(["✅ Saved.", *_limit_lines(policy, ceilings)])


def role_limit_saved(role_id: int, policy: ServerPolicy, ceilings: Ceilings) -> str:
    """After `/settings role-limit`."""
    if role_id not in policy.role_limits:
        return f"✅ <@&{role_id}> has no limit of its own now; the member allowance applies."
    return f"✅ <@&{role_id}>: {_role_limit(policy.role_limits[role_id], ceilings)}."


def channel_saved(channel_id: int, policy: ServerPolicy) -> str:
    """After `/settings channel`."""
    if channel_id in policy.allowed_channels:
        state = "is on the allow list"
        if len(policy.allowed_channels) == 1:
            state += ": images can now be made only there (and in its threads)"
    elif channel_id in policy.blocked_channels:
        state = "is blocked: no images there (nor in its threads)"
    else:
        state = "is on neither list now"
    return f"✅ <#{channel_id}> {state}."


def role_saved(role_id: int, policy: ServerPolicy) -> str:
    """After `/settings role`."""
    if role_id in policy.required_roles:
        return (
            f"✅ <@&{role_id}> is required: members need one of {_ids(policy.required_roles, '<@&{}>')} "
            "to make images (members with Manage Server always can)."
        )
    if policy.required_roles:
        return f"✅ <@&{role_id}> is not required any more; still required: {_ids(policy.required_roles, '<@&{}>')}."
    return f"✅ <@&{role_id}> is not required any more; no role is required now."


def defaults_saved(model: str, defaults: ModelDefaults | None, channel_id: int | None) -> str:
    """After `/settings defaults`: what that level now sets for the model."""
    where = "this server" if channel_id is None else f"<#{channel_id}>"
    name = CATALOGUE[model].display_name
    if defaults is None or defaults.is_empty():
        return f"✅ {where.capitalize() if channel_id is None else where} sets no defaults for {name} now."
    return f"✅ Defaults for {name} in {where}: {_set_fields(defaults)}."


def preferences_saved(model: str, defaults: ModelDefaults | None) -> str:
    """After `/preferences set`."""
    name = CATALOGUE[model].display_name
    if defaults is None or defaults.is_empty():
        return f"✅ You have no preferences for {name} now."
    return f"✅ Your preferences for {name}: {_set_fields(defaults)}. Anything you type still wins."


def blocklist_saved(policy: ServerPolicy, added: int, removed: int) -> str:
    """After `/settings blocklist`."""
    return f"✅ {added} added, {removed} removed. {_blocklist(policy.blocklist)}"


# -- views ---------------------------------------------------------------------------------


def render_settings(policy: ServerPolicy, ceilings: Ceilings, *, channel_id: int, parent_id: int | None) -> str:
    """`/settings view`: every effective value as it applies in ``channel_id``, and where it comes from."""
    lines = [
        f"⚙️ **Server settings, as they apply in <#{channel_id}>**",
        "-# Each value says where it comes from: bot default, server or channel.",
        "**Daily allowances**",
        *(f"• {line}" for line in _limit_lines(policy, ceilings)),
        "• Role limits: "
        + (
            _listed(f"<@&{role}> {_role_limit(limit, ceilings)}" for role, limit in sorted(policy.role_limits.items()))
            + " — server"
            if policy.role_limits
            else "none — bot default"
        ),
        "**Where images can be made**",
        "• Allowed channels: "
        + (_ids(policy.allowed_channels, "<#{}>") + " — server" if policy.allowed_channels else "all — bot default"),
        "• Blocked channels: "
        + (_ids(policy.blocked_channels, "<#{}>") + " — server" if policy.blocked_channels else "none — bot default"),
        f"• Here: {_here(policy, channel_id, parent_id)}",
        "• Required roles: "
        + (
            _ids(policy.required_roles, "<@&{}>") + " (Manage Server members are exempt) — server"
            if policy.required_roles
            else "none — bot default"
        ),
    ]
    for key in CATALOGUE:
        server = policy.server_defaults(key)
        channel = policy.channel_defaults_for(key, channel_id, parent_id)
        lines += _defaults_block(key, effective_view(key, server=server, channel=channel))
    lines.append(f"**Blocklist**: {_blocklist(policy.blocklist)}")
    language = policy.language
    lines.append(
        "**Language**: "
        + ("auto (each member's Discord language) — bot default" if language == "auto" else f"{language} — server")
    )
    return _fit("\n".join(lines))


def render_preferences(
    preferences: dict[str, ModelDefaults], policy: ServerPolicy | None, *, channel_id: int, parent_id: int | None
) -> str:
    """`/preferences view`: the values your requests get here, and which of them are yours."""
    where = "in this channel" if policy is not None else "in direct messages"
    lines = [f"🎛️ **Your defaults, as they apply {where}**", "-# What you type in a command always wins."]
    for key in CATALOGUE:
        server = policy.server_defaults(key) if policy is not None else None
        channel = policy.channel_defaults_for(key, channel_id, parent_id) if policy is not None else None
        lines += _defaults_block(
            key, effective_view(key, server=server, channel=channel, preference=preferences.get(key))
        )
    if not preferences:
        lines.append("You have no preferences yet: `/preferences set` chooses some.")
    return _fit("\n".join(lines))


# -- pieces --------------------------------------------------------------------------------


def _limit_lines(policy: ServerPolicy, ceilings: Ceilings) -> list[str]:
    return [
        f"Each member: {_capped(policy.member_daily, ceilings.member_daily)}",
        f"Whole server: {_capped(policy.server_daily, ceilings.server_daily)}",
        "Most images per job: "
        + (f"{policy.max_count} — server" if policy.max_count is not None else "the model's maximum — bot default"),
    ]


def _capped(own: int | None, ceiling: int | None) -> str:
    """A daily limit as it applies: the server's own, unless the bot-wide ceiling is lower."""
    if own is None:
        return ("unlimited" if ceiling is None else f"{ceiling} images a day") + " — bot default"
    if ceiling is not None and ceiling < own:
        return f"{ceiling} images a day — bot limit (the server asks for {own})"
    return f"{own} images a day — server"


def _role_limit(limit: int | None, ceilings: Ceilings) -> str:
    ceiling = ceilings.member_daily
    if limit is None:
        return "unlimited" if ceiling is None else f"{ceiling} a day (bot limit)"
    if ceiling is not None and ceiling < limit:
        return f"{ceiling} a day (bot limit; the role asks for {limit})"
    return f"{limit} a day"


def _here(policy: ServerPolicy, channel_id: int, parent_id: int | None) -> str:
    here = {channel_id} if parent_id is None else {channel_id, parent_id}
    if here & policy.blocked_channels:
        return "blocked — server"
    if policy.allowed_channels:
        return "allowed — server" if here & policy.allowed_channels else "not on the allow list — server"
    return "allowed (no channel lists) — bot default"


def _defaults_block(key: str, view: tuple[Effective, ...]) -> list[str]:
    shown = " · ".join(f"{FIELD_NAMES[e.field]} {_value(e)} ({SOURCE_NAMES[e.source]})" for e in view)
    return [f"**Defaults: {CATALOGUE[key].display_name}**", shown]


def _value(effective: Effective) -> str:
    value = effective.value
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return f"`{_code(value)}`"
    return str(value)


def _set_fields(defaults: ModelDefaults) -> str:
    set_here = defaults.to_dict()
    parts = []
    for name in DefaultField:
        if name.value in set_here:
            shown = _value(Effective(name, set_here[name.value], Source.SERVER))
            parts.append(f"{FIELD_NAMES[name]} {shown}")
    return ", ".join(parts)


def _blocklist(entries: tuple[str, ...]) -> str:
    if not entries:
        return "empty — bot default"
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    shown: list[str] = []
    used = 0
    for entry in entries:
        piece = f"`{_code(entry)}`"
        if used + len(piece) > BLOCKLIST_SHOWN_CHARS:
            break
        shown.append(piece)
        used += len(piece) + 2
    more = len(entries) - len(shown)
    return f"{count} — server: " + ", ".join(shown) + (f" and {more} more" if more else "")


def _ids(ids: Iterable[int], template: str) -> str:
    return _listed(template.format(i) for i in sorted(ids))


def _listed(items: Iterable[str]) -> str:
    every = list(items)
    shown = ", ".join(every[:LIST_SHOWN])
    return shown + (f" and {len(every) - LIST_SHOWN} more" if len(every) > LIST_SHOWN else "")


def _code(text: str) -> str:
    # Inside a code span only a backtick matters; a look-alike keeps the span closed.
    return discord.utils.escape_mentions(text.replace("`", "ˋ"))


def _fit(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
