"""What `/usage` says: your images today, your allowance and what is left, the server's, and the top members."""

from __future__ import annotations

from dataclasses import dataclass

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


def render_usage(report: UsageReport) -> str:
    """The `/usage` reply."""
    where = "in direct messages" if report.dm else "in this server"
    lines = [f"📊 **Your images today {where}**: {_images(report.member_counted, report.member_reserved)}"]
    lines.append(f"Your allowance: {_allowance(report.member_counted, report.member_limit)}")
    lines.append(f"Allowances reset <t:{report.resets_at}:R> (midnight UTC).")
    if not report.dm:
        server = _allowance(report.server_counted, report.server_limit)
        lines.append(f"**This server today**: {report.server_counted} images · budget: {server}")
    if report.top is not None:
        lines.append("**Top members today**")
        if report.top:
            lines += [f"{rank}. <@{user}> — {images}" for rank, (user, images) in enumerate(report.top, 1)]
        else:
            lines.append("No images yet today.")
    return "\n".join(lines)


def _images(counted: int, reserved: int) -> str:
    text = f"{counted} image{'' if counted == 1 else 's'}"
    return text + (f" ({reserved} still generating)" if reserved else "")


def _allowance(counted: int, limit: int | None) -> str:
    left = remaining(counted, limit)
    return "unlimited" if limit is None else f"{limit} a day, {left} left"
