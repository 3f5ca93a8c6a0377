"""✏️ Remix: a modal pre-filled with the job's prompt, seed and size, and reading its submission."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import discord
from discord import ui

from bot.catalogue import SEED_MAX, EditInput, EditOptions, Feature, ImagineOptions, InvalidOption, spec_for_model
from bot.gateway.models import GenerationRequest
from bot.i18n import Text, t
from bot.storage import Job

from .modal_values import form_values

TEXT_INPUT_MAX = 4000  # Discord's limit for one text input


FORM_PREFIX = "img:remixform:"
FORM_PATTERN = re.compile(r"img:remixform:(?P<id>[0-9a-z]{1,16})")
FORM_LIFETIME = 3600.0  # the in-memory form is dropped after this; submissions still work (see below)


class RemixModal(ui.Modal):
    """The form: prompt, seed, size (and negative prompt for qwen), pre-filled from the job.

    Submissions are handled by the Results cog through an ``on_interaction`` listener,
    from the submitted values alone, so a form opened before a restart still works after it.
    """

    def __init__(self, record: Job, locale: str) -> None:
        title = t("remix.title", locale)
        super().__init__(title=title, custom_id=f"{FORM_PREFIX}{record.id}", timeout=FORM_LIFETIME)
        request = record.request
        spec = spec_for_model(request.model)
        paragraph = discord.TextStyle.paragraph
        prompt_max = min(spec.edit.instruction_max if request.inputs else spec.prompt_max, TEXT_INPUT_MAX)
        fields: list[ui.TextInput[RemixModal]] = [
            ui.TextInput(
                label=t("remix.prompt", locale),
                custom_id="prompt",
                style=paragraph,
                default=request.prompt[:TEXT_INPUT_MAX],
                max_length=prompt_max,
            ),
            ui.TextInput(
                label=t("remix.seed", locale),
                custom_id="seed",
                default=str(request.seed),
                required=False,
                max_length=10,
            ),
            ui.TextInput(label=t("remix.size", locale), custom_id="size", default=request.size, max_length=20),
        ]
        features = spec.edit.features if request.inputs else spec.features
        if Feature.NEGATIVE_PROMPT in features:
            fields.append(
                ui.TextInput(
                    label=t("remix.negative_prompt", locale),
                    custom_id="negative_prompt",
                    style=paragraph,
                    required=False,
                    default=request.negative_prompt or "",
                    max_length=spec.edit.negative_prompt_max if request.inputs else spec.negative_prompt_max,
                )
            )
        for field in fields:
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Nothing here: the listener answers every submission (see the class docstring)."""


def submitted_values(data: Any) -> dict[str, str]:
    """custom_id → value of every text input in a modal-submit payload (action rows or labels)."""
    return {custom_id: values[0] for custom_id, values in form_values(data).items() if values}


def remixed_request(
    job: Job, values: dict[str, str], random_seed: Callable[[], int], inputs: Sequence[EditInput] = ()
) -> GenerationRequest:
    """The job's request with the form's edits, validated like the slash command; raise InvalidOption.

    An edit of members' images is remixed as an edit of the same images (``inputs``, from the store).
    """
    spec = spec_for_model(job.request.model)
    request = job.request
    if request.inputs:
        seed = _seed(values.get("seed", ""))
        edit = EditOptions(values.get("prompt", ""), size=values.get("size", ""), n=request.n, seed=seed)
        edit = replace(
            edit,
            negative_prompt=values.get("negative_prompt"),
            prompt_extend=request.prompt_extend,
            watermark=request.watermark,
            bbox_list=request.bbox_list,
        )
        return spec.build_edit(edit, inputs, random_seed=random_seed)
    options = options_from(
        job.request,
        prompt=values.get("prompt", ""),
        size=values.get("size", ""),
        seed=_seed(values.get("seed", "")),
        negative_prompt=values.get("negative_prompt"),
    )
    return spec.build_request(options, random_seed=random_seed)


def options_from(
    request: GenerationRequest, *, prompt: str, size: str, seed: int | None, negative_prompt: str | None
) -> ImagineOptions:
    """The stored request as slash-command options, with the modal's edits applied."""
    palette = ", ".join(f"{c.hex} {c.ratio}" for c in request.color_palette) if request.color_palette else None
    return ImagineOptions(
        prompt=prompt, size=size, n=request.n, seed=seed, negative_prompt=negative_prompt or None,
        prompt_extend=request.prompt_extend, watermark=request.watermark,
        thinking_mode=request.thinking_mode if not request.enable_sequential else None,
        sequential=request.enable_sequential, palette=palette,
    )  # fmt: skip


def _seed(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > SEED_MAX:  # "²".isdigit(), but int("²") fails
        raise InvalidOption("seed", Text("rule.seed_or_empty", {"max": SEED_MAX}), text)
    return int(value)
