"""The test-facing API: members run commands, click buttons, submit modals; tests inspect what the bot answered."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._connection import _Connection
from ._layout import walk
from ._members import _MembersMixin
from ._modal import ModalValue, submitted
from ._model import Channel, Interaction, Message, User, snowflake

Upload = tuple[str, bytes]  # (filename, bytes) a member attaches


class _TestApiMixin(_MembersMixin):
    """Inject interactions over the gateway as members would, and look up the bot's answers."""

    if TYPE_CHECKING:

        def _connection_for(self, guild_id: int | None) -> _Connection | None: ...

    def registered(self, name: str, kind: int | None = None) -> dict[str, Any]:
        """A registered top-level command (``kind``: 1 slash, 2 user, 3 message menu; any if None), as synced.

        It is the body the bot sent (``name_localizations``, ``description_localizations`` … kept) plus
        Discord's ``id``, ``application_id`` and ``version``.
        """
        for scope in (str(self.guild_id), "global"):
            for command in self.commands.get(scope, []):
                if command["name"] == name and kind in (None, command.get("type", 1)):
                    return command
        raise KeyError(f"command {name!r} is not registered")

    def _member_json(self, user: User) -> dict[str, Any]:
        perms = (1 << 41) - 1 if user.id in self.moderators else 0x4000 | 0x800 | 0x400 | 0x8000
        if user.id in self.managers:
            perms |= 0x20  # Manage Server
        roles = [str(role) for role in sorted(self.member_roles.get(user.id, ()))]
        return {"user": user.to_json(), "roles": roles, "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False,
                "mute": False, "permissions": str(perms), "flags": 0}  # fmt: skip

    def give_role(self, user: str, role: str) -> None:
        """Give a member one of the server's roles (``artist``, ``booster``, ``patron``)."""
        self.member_roles.setdefault(self.users[user].id, set()).add(self.roles[role].id)

    async def _inject(self, kind: int, user: User, data: dict[str, Any], *, channel: Channel | None = None,
                      message: Message | None = None) -> Interaction:  # fmt: skip
        channel = channel or self.channel
        connection = self._connection_for(channel.guild_id)
        if connection is None:
            raise RuntimeError("the bot is not connected (for this server's shard)")
        created = self.now()
        interaction_id = snowflake(created)
        token = "itok-" + secrets.token_urlsafe(24)
        payload: dict[str, Any] = {
            "id": str(interaction_id), "application_id": str(self.application_id), "type": kind, "data": data,
            "channel_id": str(channel.id), "channel": channel.to_json(), "token": token, "version": 1,
            "app_permissions": str((1 << 41) - 1 if channel.bot_can_send else 0x400),
            "locale": self.locales.get(user.id, "en-US"), "guild_locale": self.guild_locale, "entitlements": [],
            "authorizing_integration_owners": {"0": str(channel.guild_id or 0)},
            "context": 0 if channel.guild_id is not None else 1,
            "attachment_size_limit": self.upload_limit,
        }  # fmt: skip
        if channel.guild_id is not None:
            payload |= {"guild_id": str(channel.guild_id), "member": self._member_json(user)}
        else:  # a direct message: the user, no member, and Discord's own guild locale is absent
            payload["user"] = user.to_json()
            del payload["guild_locale"]
        if message is not None:
            payload["message"] = message.to_json(self.base_url, self.now())
        interaction = Interaction(interaction_id, token, kind, user, channel, created, payload)
        self.interactions[interaction_id] = self.interactions_by_token[token] = interaction
        await connection.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _command_data(
        self, name: str, subcommand: str | None, options: dict[str, Any], focused: str | None, channel: Channel
    ) -> dict[str, Any]:
        command = self.registered(name, kind=1)
        level = command if subcommand is None else next(o for o in command["options"] if o["name"] == subcommand)
        declared = {o["name"]: o for o in level.get("options", [])}
        values = []
        resolved: dict[str, dict[str, Any]] = {}
        for key, given in options.items():
            if key not in declared:
                raise KeyError(f"/{name} {subcommand} has no option {key!r}")
            kind, value = declared[key]["type"], given
            if kind == 8:  # a role, given by name: the option carries its id, the payload resolves it
                role = self.roles[given]
                value = str(role.id)
                resolved.setdefault("roles", {})[value] = role.to_json()
            elif kind == 7:  # a channel, given as a Channel
                value = str(given.id)
                resolved.setdefault("channels", {})[value] = given.to_json() | {"permissions": "0"}
            elif kind == 11:  # a file, given as (filename, bytes): uploaded to the CDN, resolved by its id
                filename, content = given
                attachment = self._upload(filename, content, channel.id, ephemeral=True)
                value = str(attachment.id)
                resolved.setdefault("attachments", {})[value] = attachment.to_json(self.base_url, self.now())
            entry: dict[str, Any] = {"name": key, "type": kind, "value": value}
            if key == focused:
                entry["focused"] = True
            values.append(entry)
        missing = [o["name"] for o in declared.values() if o.get("required") and o["name"] not in options]
        if missing and focused is None:
            raise KeyError(f"Discord would not send /{name} {subcommand} without {missing}")
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": values}
        if subcommand is not None:
            data["options"] = [{"name": subcommand, "type": 1, "options": values}]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(self, user: str, name: str, subcommand: str | None = None, channel: Channel | None = None,
                    *, option_values: dict[str, Any] | None = None, **options: Any) -> Interaction:  # fmt: skip
        """A member runs ``/name subcommand option:value …`` (in ``channel``).

        An attachment option takes ``(filename, bytes)``: ``image=("photo.png", png)``. ``option_values`` gives
        options whose names clash with this method's parameters (an option named ``channel``).
        """
        where = channel or self.channel
        data = self._command_data(name, subcommand, {**(option_values or {}), **options}, None, where)
        return await self._inject(2, self.users[user], data, channel=channel)

    async def message_command(self, user: str, name: str, message: Message) -> Interaction:
        """A member picks the message context-menu command ``name`` (Apps → "Edit image") on ``message``."""
        if message.deleted or message.ephemeral_to is not None:
            raise ValueError(f"a member cannot open the menu of message {message.id}")
        command = self.registered(name, kind=3)
        target = message.to_json(self.base_url, self.now())
        data = {"id": command["id"], "name": name, "type": 3, "target_id": str(message.id),
                "resolved": {"messages": {str(message.id): target}}}  # fmt: skip
        return await self._inject(2, self.users[user], data, channel=self.channels[message.channel_id])

    async def user_command(self, user: str, name: str, target: str) -> Interaction:
        """A member picks the user context-menu command ``name`` on another member, ``target``."""
        command = self.registered(name, kind=2)
        member = self.users[target]
        as_member = {key: value for key, value in self._member_json(member).items() if key != "user"}
        resolved = {"users": {str(member.id): member.to_json()}, "members": {str(member.id): as_member}}
        data = {"id": command["id"], "name": name, "type": 2, "target_id": str(member.id), "resolved": resolved}
        return await self._inject(2, self.users[user], data)

    async def autocomplete(
        self, user: str, name: str, subcommand: str, focused: str, **options: Any
    ) -> list[dict[str, Any]]:
        """Type into an autocomplete option and return the choices the bot offers."""
        data = self._command_data(name, subcommand, options, focused, self.channel)
        interaction = await self._inject(4, self.users[user], data)
        await self.wait_for(lambda: interaction.acknowledged)
        assert interaction.response is not None
        return list(interaction.response["data"]["choices"])

    def _component(self, message: Message, custom_id: str) -> dict[str, Any]:
        found = next((c for c in walk(message.components) if c.get("custom_id") == custom_id), None)
        if found is None or custom_id not in message.custom_ids:
            raise KeyError(f"no component {custom_id!r} on message {message.id}")
        if found.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled: a member cannot use it")
        return found

    async def click(self, user: str, message: Message, custom_id: str) -> Interaction:
        """A member clicks a button on ``message`` (in an action row, or nested in a container or section)."""
        component = self._component(message, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"{custom_id!r} is not a button")
        data = {"custom_id": custom_id, "component_type": 2} | ({"id": component["id"]} if "id" in component else {})
        return await self._inject(3, self.users[user], data, channel=self.channels[message.channel_id], message=message)

    async def choose(self, user: str, message: Message, custom_id: str, values: list[str]) -> Interaction:
        """A member picks ``values`` in the string select ``custom_id`` on ``message``."""
        component = self._component(message, custom_id)
        offered = {o["value"] for o in component.get("options") or []}
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if component.get("type") != 3 or not set(values) <= offered or not low <= len(values) <= high:
            raise ValueError(f"a member cannot pick {values} in {custom_id!r} (offers {sorted(offered)})")
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        data |= {"id": component["id"]} if "id" in component else {}
        return await self._inject(3, self.users[user], data, channel=self.channels[message.channel_id], message=message)

    def opened_modal(self, custom_id: str) -> dict[str, Any] | None:
        """The latest modal the bot opened with ``custom_id`` (the callback's ``data``), if any."""
        for interaction in sorted(self.interactions.values(), key=lambda i: -i.id):
            response = interaction.response or {}
            if response.get("type") == 9 and response["data"].get("custom_id") == custom_id:
                data: dict[str, Any] = response["data"]
                return data
        return None

    async def submit_modal(
        self, user: str, custom_id: str, values: Mapping[str, ModalValue], message: Message | None = None
    ) -> Interaction:
        """A member submits the modal ``custom_id`` with ``values`` (custom_id → text, or → option values of a select).

        Sent in the shape Discord uses for the modal the bot opened: classic action rows
        (``{type 1, components: [{type 4, value}]}``) or labels (``{type 18, component: {type 3, values}}``);
        fields left out keep what the modal pre-filled. Values a member could not submit raise ``ValueError``.
        """
        components = submitted(self.opened_modal(custom_id), values)
        channel = self.channels[message.channel_id] if message else self.channel
        data = {"custom_id": custom_id, "components": components}
        return await self._inject(5, self.users[user], data, channel=channel, message=message)

    def original(self, interaction: Interaction) -> Message | None:
        """The interaction's original response message, if any."""
        return self.messages.get(interaction.original_id or 0)

    async def wait_original(self, interaction: Interaction, predicate: Callable[[Message], bool],
                            timeout: float = 15.0) -> Message:  # fmt: skip
        """Wait until the original response exists and satisfies ``predicate``."""

        def check() -> Message | None:
            message = self.original(interaction)
            return message if message is not None and not message.deleted and predicate(message) else None

        return await self.wait_for(check, timeout)

    def channel_messages(self, channel: Channel | None = None) -> list[Message]:
        """Messages everyone in the channel sees, oldest first."""
        channel = channel or self.channel
        return sorted((m for m in self.messages.values() if m.channel_id == channel.id and not m.deleted
                       and m.ephemeral_to is None), key=lambda m: m.id)  # fmt: skip
