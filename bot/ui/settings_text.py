"""What `/settings` and `/preferences` say: effective values with their sources, confirmations, refusals.

Every function takes the reader's locale (these replies are private). Mentions are written as
``<@&id>``/``<#id>`` and are sent with mentions disabled, so nothing pings.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.catalogue import CATALOGUE, InvalidOption
from bot.i18n import t
from bot.policy import (
    AUTO_LANGUAGE,
    Ceilings,
    DefaultField,
    Effective,
    ModelDefaults,
    ServerPolicy,
    Source,
    effective_view,
)

MESSAGE_LIMIT = 2000  # Discord's content limit
LIST_SHOWN = 6  # ids shown per list before "and N more"
BLOCKLIST_SHOWN_CHARS = 240

# The option names the commands use, so an admin can see what to type to change a value.
FIELD_NAMES = {
    DefaultField.SIZE: "size",
    DefaultField.COUNT: "count",
    DefaultField.PROMPT_EXTEND: "prompt_rewrite",
    DefaultField.THINKING_MODE: "thinking",
    DefaultField.SEQUENTIAL: "image_set",
    DefaultField.WATERMARK: "watermark",
}


def refused_option(error: InvalidOption, locale: str) -> str:
    """An option value that the model does not accept."""
    return t("settings.refused_option", locale, message=error.message().render(locale))


def entry_too_long(entry: str, most: int, locale: str) -> str:
    """A blocklist entry over the length limit."""
    return t("settings.entry_too_long", locale, most=most, entry=_code(entry[:40]))


def blocklist_full(most: int, would_be: int, locale: str) -> str:
    """Adding would take the blocklist past its cap."""
    return t("settings.blocklist_full", locale, most=most, would_be=would_be)


# -- confirmations -------------------------------------------------------------------------


def limits_saved(policy: ServerPolicy, ceilings: Ceilings, locale: str) -> str:
    """After `/settings limits`."""
    return "\n".join([t("settings.saved", locale), *_limit_lines(policy, ceilings, locale)])


def role_limit_saved(role_id: int, policy: ServerPolicy, ceilings: Ceilings, locale: str) -> str:
    """After `/settings role-limit`."""
    if role_id not in policy.role_limits:
        return t("settings.role_limit_removed", locale, role=role_id)
    limit = _role_limit(policy.role_limits[role_id], ceilings, locale)
    return t("settings.role_limit_saved", locale, role=role_id, limit=limit)


def channel_saved(channel_id: int, policy: ServerPolicy, locale: str) -> str:
    """After `/settings channel`."""
    if channel_id in policy.allowed_channels:
        key = "settings.channel_allowed_only" if len(policy.allowed_channels) == 1 else "settings.channel_allowed"
    elif channel_id in policy.blocked_channels:
        key = "settings.channel_blocked"
    else:
        key = "settings.channel_cleared"
    return t(key, locale, channel=channel_id)


def role_saved(role_id: int, policy: ServerPolicy, locale: str) -> str:
    """After `/settings role`."""
    roles = _ids(policy.required_roles, "<@&{}>", locale)
    if role_id in policy.required_roles:
        return t("settings.role_required", locale, role=role_id, roles=roles)
    if policy.required_roles:
        return t("settings.role_not_required", locale, role=role_id, roles=roles)
    return t("settings.role_none_required", locale, role=role_id)


def defaults_saved(model: str, defaults: ModelDefaults | None, channel_id: int | None, locale: str) -> str:
    """After `/settings defaults`: what that level now sets for the model."""
    name = CATALOGUE[model].display_name
    level = "server" if channel_id is None else "channel"
    if defaults is None or defaults.is_empty():
        return t(f"settings.{level}_defaults_none", locale, model=name, channel=channel_id)
    fields = _set_fields(defaults, locale)
    return t(f"settings.{level}_defaults_saved", locale, model=name, channel=channel_id, fields=fields)


def preferences_saved(model: str, defaults: ModelDefaults | None, locale: str) -> str:
    """After `/preferences set`."""
    name = CATALOGUE[model].display_name
    if defaults is None or defaults.is_empty():
        return t("preferences.none", locale, model=name)
    return t("preferences.saved", locale, model=name, fields=_set_fields(defaults, locale))


def blocklist_saved(policy: ServerPolicy, added: int, removed: int, locale: str) -> str:
    """After `/settings blocklist`."""
    return t("settings.blocklist_saved", locale, added=added, removed=removed, blocklist=_blocklist(policy, locale))


def language_saved(language: str, public: str, locale: str) -> str:
    """After `/settings language`; ``public`` is the language public messages now use."""
    name = t("language_name", public)
    key = "settings.language_saved_auto" if language == AUTO_LANGUAGE else "settings.language_saved"
    return t(key, locale, language=name)


# -- views ---------------------------------------------------------------------------------


def render_settings(
    policy: ServerPolicy, ceilings: Ceilings, *, channel_id: int, parent_id: int | None, public: str, locale: str
) -> str:
    """`/settings view`: every effective value as it applies in ``channel_id``, and where it comes from.

    ``public`` is the language public messages use here now (the setting, or the server's locale).
    """

    def sourced(value: str | None, source: str, otherwise: str) -> str:
        if value:
            return t("settings.view.from", locale, value=value, source=t("settings.source.server", locale))
        return t("settings.view.from", locale, value=t(otherwise, locale), source=t(source, locale))

    role_limits = _listed(
        (f"<@&{role}> {_role_limit(limit, ceilings, locale)}" for role, limit in sorted(policy.role_limits.items())),
        locale,
    )
    required = policy.required_roles
    lines = [
        t("settings.view.title", locale, channel=channel_id),
        t("settings.view.legend", locale),
        t("settings.view.allowances", locale),
        *(t("settings.view.bullet", locale, line=line) for line in _limit_lines(policy, ceilings, locale)),
        t(
            "settings.view.role_limits",
            locale,
            value=sourced(role_limits, "settings.source.bot_default", "settings.view.none"),
        ),
        t("settings.view.where", locale),
        t(
            "settings.view.allowed_channels",
            locale,
            value=sourced(
                _ids(policy.allowed_channels, "<#{}>", locale), "settings.source.bot_default", "settings.view.all"
            ),
        ),
        t(
            "settings.view.blocked_channels",
            locale,
            value=sourced(
                _ids(policy.blocked_channels, "<#{}>", locale), "settings.source.bot_default", "settings.view.none"
            ),
        ),
        t("settings.view.here", locale, value=_here(policy, channel_id, parent_id, locale)),
        t(
            "settings.view.required_roles",
            locale,
            value=sourced(
                t("settings.view.managers_exempt", locale, roles=_ids(required, "<@&{}>", locale)) if required else "",
                "settings.source.bot_default",
                "settings.view.none",
            ),
        ),
    ]
    for key in CATALOGUE:
        server = policy.server_defaults(key)
        channel = policy.channel_defaults_for(key, channel_id, parent_id)
        lines += _defaults_block(key, effective_view(key, server=server, channel=channel), locale)
    lines.append(t("settings.view.blocklist", locale, value=_blocklist(policy, locale)))
    name = t("language_name", public)
    if policy.language == AUTO_LANGUAGE:
        language = t("settings.view.language_auto", locale, language=name)
    else:
        language = t("settings.view.language_set", locale, language=name)
    lines.append(t("settings.view.language", locale, value=language))
    return _fit("\n".join(lines))


def render_preferences(
    preferences: dict[str, ModelDefaults],
    policy: ServerPolicy | None,
    *,
    channel_id: int,
    parent_id: int | None,
    locale: str,
) -> str:
    """`/preferences view`: the values your requests get here, and which of them are yours."""
    title = "preferences.title_here" if policy is not None else "preferences.title_dm"
    lines = [t(title, locale), t("preferences.legend", locale)]
    for key in CATALOGUE:
        server = policy.server_defaults(key) if policy is not None else None
        channel = policy.channel_defaults_for(key, channel_id, parent_id) if policy is not None else None
        view = effective_view(key, server=server, channel=channel, preference=preferences.get(key))
        lines += _defaults_block(key, view, locale)
    if not preferences:
        lines.append(t("preferences.none_yet", locale))
    return _fit("\n".join(lines))


# -- pieces --------------------------------------------------------------------------------


def _limit_lines(policy: ServerPolicy, ceilings: Ceilings, locale: str) -> list[str]:
    if policy.max_count is not None:
        most = t("settings.view.from", locale, value=policy.max_count, source=t("settings.source.server", locale))
    else:
        maximum = t("settings.limits.model_maximum", locale)
        most = t("settings.view.from", locale, value=maximum, source=t("settings.source.bot_default", locale))
    return [
        t("settings.limits.member", locale, value=_capped(policy.member_daily, ceilings.member_daily, locale)),
        t("settings.limits.server", locale, value=_capped(policy.server_daily, ceilings.server_daily, locale)),
        t("settings.limits.max_count", locale, value=most),
    ]


def _capped(own: int | None, ceiling: int | None, locale: str) -> str:
    """A daily limit as it applies: the server's own, unless the bot-wide ceiling is lower."""
    if own is None:
        value = t("settings.limits.unlimited", locale) if ceiling is None else _per_day(ceiling, locale)
        return t("settings.view.from", locale, value=value, source=t("settings.source.bot_default", locale))
    if ceiling is not None and ceiling < own:
        return t("settings.limits.capped", locale, ceiling=ceiling, own=own)
    return t("settings.view.from", locale, value=_per_day(own, locale), source=t("settings.source.server", locale))


def _per_day(count: int, locale: str) -> str:
    return t("settings.limits.per_day", locale, count=count)


def _role_limit(limit: int | None, ceilings: Ceilings, locale: str) -> str:
    ceiling = ceilings.member_daily
    if limit is None:
        if ceiling is None:
            return t("settings.limits.unlimited", locale)
        return t("settings.limits.role_ceiling", locale, ceiling=ceiling)
    if ceiling is not None and ceiling < limit:
        return t("settings.limits.role_capped", locale, ceiling=ceiling, own=limit)
    return t("settings.limits.role_per_day", locale, count=limit)


def _here(policy: ServerPolicy, channel_id: int, parent_id: int | None, locale: str) -> str:
    here = {channel_id} if parent_id is None else {channel_id, parent_id}
    if here & policy.blocked_channels:
        return t("settings.here.blocked", locale)
    if policy.allowed_channels:
        return t("settings.here.allowed" if here & policy.allowed_channels else "settings.here.not_allowed", locale)
    return t("settings.here.open", locale)


def _defaults_block(key: str, view: tuple[Effective, ...], locale: str) -> list[str]:
    shown = " · ".join(
        t(
            "settings.value.with_source",
            locale,
            name=FIELD_NAMES[e.field],
            value=_value(e, locale),
            source=t(f"settings.source.{e.source.value}", locale),
        )
        for e in view
    )
    return [t("settings.view.defaults", locale, model=CATALOGUE[key].display_name), shown]


def _value(effective: Effective, locale: str) -> str:
    value = effective.value
    if value is None:
        return t("settings.value.not_applicable", locale)
    if isinstance(value, bool):
        return t("settings.value.on" if value else "settings.value.off", locale)
    if isinstance(value, str):
        return f"`{_code(value)}`"
    return str(value)


def _set_fields(defaults: ModelDefaults, locale: str) -> str:
    set_here = defaults.to_dict()
    parts = []
    for name in DefaultField:
        if name.value in set_here:
            shown = _value(Effective(name, set_here[name.value], Source.SERVER), locale)
            parts.append(t("settings.value.field", locale, name=FIELD_NAMES[name], value=shown))
    return ", ".join(parts)


def _blocklist(policy: ServerPolicy, locale: str) -> str:
    entries = policy.blocklist
    if not entries:
        return t("settings.value.empty_blocklist", locale)
    shown: list[str] = []
    used = 0
    for entry in entries:
        piece = f"`{_code(entry)}`"
        if used + len(piece) > BLOCKLIST_SHOWN_CHARS:
            break
        shown.append(piece)
        used += len(piece) + 2
    listed = ", ".join(shown)
    if more := len(entries) - len(shown):
        listed = t("settings.value.more", locale, shown=listed, more=more)
    count = t("settings.entries", locale, count=len(entries))
    return t("settings.value.blocklist", locale, entries=count, shown=listed)


def _ids(ids: Iterable[int], template: str, locale: str) -> str:
    return _listed((template.format(i) for i in sorted(ids)), locale)


def _listed(items: Iterable[str], locale: str) -> str:
    every = list(items)
    shown = ", ".join(every[:LIST_SHOWN])
    if len(every) > LIST_SHOWN:
        return t("settings.value.more", locale, shown=shown, more=len(every) - LIST_SHOWN)
    return shown


def _code(text: str) -> str:
    # Inside a code span only a backtick matters; a look-alike keeps the span closed.
    return discord.utils.escape_mentions(text.replace("`", "ˋ"))


def _fit(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
