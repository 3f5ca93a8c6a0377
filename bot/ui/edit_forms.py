"""The forms of an edit: "Edit image" on a message, and Vary region on a result; reading their submissions.

Both are modals with selects inside labels. Their submissions are answered by the Edit cog from
the submitted values alone (like Remix), so a form opened before a restart still works after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord
from discord import ui

from bot.catalogue import CATALOGUE, Region
from bot.i18n import t

EDIT_FORM = "img:editform:"
EDIT_FORM_PATTERN = re.compile(r"img:editform:(?P<message>[0-9]{1,20})")
REGION_FORM = "img:regionform:"
REGION_FORM_PATTERN = re.compile(r"img:regionform:(?P<id>[0-9a-z]{1,16})")
FORM_LIFETIME = 3600.0
INSTRUCTION_MAX = 4000  # Discord's limit for one text input; the model's own limit is checked after
OPTION_LABEL_MAX = 100  # Discord's limit for a select option's label


class _Form(ui.Modal):
    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Nothing here: the Edit cog answers every submission (see the module docstring)."""


def edit_form(message_id: int, image_names: Sequence[str], locale: str) -> ui.Modal:
    """ "Edit image": the model, which of the message's images (when it has several), and the instruction."""
    form = _Form(title=t("edit.form_title", locale), custom_id=f"{EDIT_FORM}{message_id}", timeout=FORM_LIFETIME)
    models = [discord.SelectOption(label=spec.display_name, value=key) for key, spec in CATALOGUE.items()]
    models[0].default = True
    form.add_item(ui.Label(text=t("edit.model", locale), component=ui.Select(custom_id="model", options=models)))
    if len(image_names) > 1:
        most = max(spec.edit.max_images for spec in CATALOGUE.values())
        form.add_item(
            ui.Label(
                text=t("edit.images", locale),
                component=ui.Select(
                    custom_id="images",
                    placeholder=t("edit.images_placeholder", locale, max=most),
                    min_values=1,
                    max_values=min(len(image_names), most),
                    options=_image_options(image_names, locale),
                ),
            )
        )
    form.add_item(_instruction(t("edit.instruction", locale), t("edit.instruction_placeholder", locale)))
    return form


def region_form(job_id: str, image_names: Sequence[str], locale: str) -> ui.Modal:
    """Vary region: which part (and of which image, when the message has several), and what should change."""
    form = _Form(title=t("edit.region_title", locale), custom_id=f"{REGION_FORM}{job_id}", timeout=FORM_LIFETIME)
    regions = [discord.SelectOption(label=t(region.message_key, locale), value=region.value) for region in Region]
    form.add_item(ui.Label(text=t("edit.region", locale), component=ui.Select(custom_id="region", options=regions)))
    if len(image_names) > 1:
        images = _image_options(image_names, locale)
        images[0].default = True
        select: ui.Select[Any] = ui.Select(custom_id="image", options=images)
        form.add_item(ui.Label(text=t("edit.region_image", locale), component=select))
    form.add_item(_instruction(t("edit.region_instruction", locale), t("edit.region_placeholder", locale)))
    return form


def _image_options(image_names: Sequence[str], locale: str) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(
            label=t("edit.image_option", locale, number=number, name=name)[:OPTION_LABEL_MAX], value=str(number)
        )
        for number, name in enumerate(image_names, 1)
    ]


def _instruction(label: str, placeholder: str) -> ui.Label[Any]:
    paragraph = discord.TextStyle.paragraph
    field: ui.TextInput[Any] = ui.TextInput(
        custom_id="instruction", style=paragraph, placeholder=placeholder[:100], max_length=INSTRUCTION_MAX
    )
    return ui.Label(text=label, component=field)
