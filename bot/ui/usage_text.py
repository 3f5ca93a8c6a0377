"""What `/usage` says: your images today, your allowance and what is left, the server's, and the top members."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import t
from bot.policy import remaining


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Everything `/usage` shows; counts include images of jobs still generating (reserved)."""

    member_counted: int
    member_reserved: int
    member_limit: int | None
    resets_at: int  # Unix time of the next UTC midnight
    dm: bool = False
    server_counted: int = 0
    server_limit: int | None = None
    top: tuple[tuple[int, int], ...] | None = None  # (user id, images); None: not shown to this member


def render_usage(report: UsageReport, locale: str) -> str:
    """The `/usage` reply."""
    images = _images(report.member_counted, report.member_reserved, locale)
    lines = [t("usage.title_dm" if report.dm else "usage.title_server", locale, images=images)]
    lines.append(t("usage.allowance", locale, value=_allowance(report.member_counted, report.member_limit, locale)))
    lines.append(t("usage.resets", locale, resets_at=report.resets_at))
    if not report.dm:
        server = _allowance(report.server_counted, report.server_limit, locale)
        lines.append(t("usage.server", locale, images=t("images", locale, count=report.server_counted), value=server))
    if report.top is not None:
        lines.append(t("usage.top", locale))
        if report.top:
            lines += [
                t("usage.top_line", locale, rank=rank, user=user, images=images)
                for rank, (user, images) in enumerate(report.top, 1)
            ]
        else:
            lines.append(t("usage.top_none", locale))
    return "\n".join(lines)


def _images(counted: int, reserved: int, locale: str) -> str:
    images = t("images", locale, count=counted)
    return t("usage.generating", locale, images=images, reserved=reserved) if reserved else images


def _allowance(counted: int, limit: int | None, locale: str) -> str:
    if limit is None:
        return t("usage.unlimited", locale)
    return t("usage.left", locale, limit=limit, left=remaining(counted, limit))
