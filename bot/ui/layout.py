"""A result as a Components V2 message: one container with the summary, a media gallery, and the buttons.

Every button is a :class:`~bot.ui.buttons.ResultButton` (a persistent ``DynamicItem``), so a
result's buttons work after restarts exactly as in the classic layout, which older results keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import discord
from discord import ui

from bot.catalogue import Feature, spec_for_model
from bot.i18n import t
from bot.storage.records import Job

from .buttons import FILES_PER_MESSAGE, ROW_WIDTH, ButtonAction, ResultButton

MAX_TEXT = 4000  # Discord's limit for the text of one Components V2 message
GALLERY_MAX = FILES_PER_MESSAGE  # one gallery shows one message's files
ACCENT = discord.Colour.blurple()

_ACTIONS = (ButtonAction.SAME_SEED, ButtonAction.NEW_SEED, ButtonAction.REMIX, ButtonAction.INFO, ButtonAction.DELETE)


def result_layout(
    job_id: str,
    locale: str,
    summary: str,
    filenames: Sequence[str],
    *,
    first_index: int = 1,
    total: int | None = None,
    extra_actions: Iterable[ButtonAction] = (),
) -> ui.LayoutView:
    """The first message of a result (``first_index`` 1: with the actions) or a later one (images 11 and up).

    ``filenames`` are this message's uploads, shown in order in the gallery; ``total`` is the
    result's image count (for the gallery's descriptions).
    """
    total = total or first_index + len(filenames) - 1
    children: list[ui.Item[Any]] = [ui.TextDisplay(_fit(summary))]
    if filenames:
        children.append(ui.MediaGallery(*_gallery(filenames, first_index, total, locale)))
    if first_index == 1:
        actions = [ResultButton(action, job_id, locale=locale) for action in (*_ACTIONS, *extra_actions)]
        children += _rows(actions)
    variations = [ResultButton(ButtonAction.VARIATION, job_id, first_index + i) for i in range(len(filenames))]
    children += _rows(variations)
    view = ui.LayoutView(timeout=None)
    view.add_item(ui.Container(*children, accent_colour=ACCENT))
    return view


def extra_actions(job: Job) -> tuple[ButtonAction, ...]:
    """Actions only some results have: Vary region for a model whose edits take regions (wan)."""
    if Feature.BBOX_LIST in spec_for_model(job.request.model).edit.features:
        return (ButtonAction.VARY_REGION,)
    return ()


def custom_ids(components: Iterable[Any]) -> list[str]:
    """The custom ids of a received message's components, however deeply nested (classic or V2)."""
    found: list[str] = []
    for component in components:
        custom_id = getattr(component, "custom_id", None)
        if isinstance(custom_id, str):
            found.append(custom_id)
        found += custom_ids(getattr(component, "children", ()) or ())
        accessory = getattr(component, "accessory", None)
        if accessory is not None:
            found += custom_ids([accessory])
    return found


def _gallery(filenames: Sequence[str], first_index: int, total: int, locale: str) -> list[discord.MediaGalleryItem]:
    return [
        discord.MediaGalleryItem(
            f"attachment://{name}", description=t("gallery.item", locale, number=first_index + i, total=total)
        )
        for i, name in enumerate(filenames)
    ]


def _rows(buttons: list[ResultButton]) -> list[ui.Item[Any]]:
    return [ui.ActionRow(*buttons[i : i + ROW_WIDTH]) for i in range(0, len(buttons), ROW_WIDTH)]


def _fit(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
