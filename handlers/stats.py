"""/stats: the owner's view of how their agency uses the bot (counts and speed, no names)."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from crm_core import analytics
from crm_core.accounts import Member
from crm_core.analytics import Metric, UsageRecorder, UsageReport
from handlers.filters import IsMember

DEFAULT_DAYS = 7
MAX_DAYS = 90
SHOWN = 8  # lines per section


def nlu_label(path: str) -> str:
    engine, _sep, fallback = path.partition(":")
    if engine == "claude":
        return _("AI assistant")
    if engine == "rules" and fallback:
        return _("offline parser, standing in for the AI")
    if engine == "rules":
        return _("offline parser")
    return _("not understood")


def error_label(name: str) -> str:
    """``add_contact:invalid_input`` -> ``/add_contact: refused input``."""
    subject, _sep, kind = name.partition(":")
    if subject == "rate_limited":
        limits = {
            "msg": _("messages per minute"),
            "ai": _("AI requests per hour"),
            "export": _("exports per day"),
        }
        return _("rate limit reached ({limit})").format(limit=limits.get(kind, _("other")))
    if subject == "crash":
        return _("failure on our side")
    kinds = {
        "invalid_input": _("refused input"),
        "not_found": _("not found"),
        "ambiguous": _("several matches"),
        "forbidden": _("not allowed"),
        "conflict": _("conflict"),
    }
    return f"/{escape(subject)}: {kinds.get(kind, _('other'))}"


def _summed(items: list[tuple[str, int]], label: Callable[[str], str]) -> list[tuple[str, int]]:
    """Counts under their labels, most first (several names can share one label)."""
    totals: dict[str, int] = {}
    for name, count in items:
        totals[label(name)] = totals.get(label(name), 0) + count
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def _ms(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def stats_text(report: UsageReport) -> str:
    counts = report.counts
    lines = [
        _("<b>Your agency's usage</b>, {first} to {last} (UTC days)").format(
            first=report.first_day.isoformat(), last=report.last_day.isoformat()
        ),
        _(
            "Actions: {operations} · commands: {commands} · buttons: {buttons} · "
            "messages read: {messages}"
        ).format(
            operations=report.total(Metric.OPERATION),
            commands=report.total(Metric.COMMAND),
            buttons=report.total(Metric.BUTTON),
            messages=report.total(Metric.NLU),
        ),
    ]
    if operations := counts.get(Metric.OPERATION.value):
        lines += ["", _("<b>Most used</b>")]
        for name, count in operations[:SHOWN]:
            operation, _sep, asked = name.partition(":")
            label = f"/{escape(operation)}"
            if asked:
                label = _("{operation} (asked to confirm)").format(operation=label)
            lines.append(f"• {label} — {count}")
    if paths := counts.get(Metric.NLU.value):
        lines += ["", _("<b>Free text read by</b>")]
        summed = _summed(paths, nlu_label)
        lines += [f"• {label} — {count}" for label, count in summed[:SHOWN]]
    if report.latencies:
        lines += ["", _("<b>Speed</b> (median · 95th percentile)")]
        lines += [
            f"• /{escape(latency.operation)} — {_ms(latency.p50_ms)} · {_ms(latency.p95_ms)}"
            for latency in report.latencies[:SHOWN]
        ]
    if errors := counts.get(Metric.ERROR.value):
        lines += ["", _("<b>Refusals and errors</b>")]
        summed = _summed(errors, error_label)
        lines += [f"• {label} — {count}" for label, count in summed[:SHOWN]]
    if not counts and not report.latencies:
        lines += ["", _("Nothing counted yet in this period.")]
    lines += [
        "",
        _(
            "Counts only: no names, no records, no messages. People who objected to usage "
            "analytics (/privacy) are not counted. /stats 30 shows 30 days."
        ),
    ]
    return "\n".join(lines)


def build_stats_router() -> Router:
    router = Router(name="stats")

    @router.message(Command("stats"), IsMember())
    async def show_stats(
        message: Message,
        command: CommandObject,
        member: Member,
        usage_recorder: UsageRecorder | None = None,
    ) -> None:
        if not member.actor.is_owner:
            await message.answer(_("Only the agency's owner can see its usage figures."))
            return
        arg = (command.args or "").strip()
        days = DEFAULT_DAYS
        if arg:
            days = int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 3 else 0
        if not 1 <= days <= MAX_DAYS:
            await message.answer(
                _("Send /stats for the last 7 days, or /stats 30 for up to {limit} days.").format(
                    limit=MAX_DAYS
                )
            )
            return
        if usage_recorder is None:
            await message.answer(_("Usage analytics are switched off on this service."))
            return
        report = await analytics.agency_report(usage_recorder, member.actor, days=days)
        await message.answer(stats_text(report))

    return router
