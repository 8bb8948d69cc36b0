"""Usage analytics in the bot: which commands and buttons were used, the periodic flush of the
counts to the database, and the Prometheus text the webhook server exposes.

What is counted and how it stays anonymous is ``crm_core.analytics``'s business; here a
command is named only by the ``Command`` filter that matched it (so by a name the bot
registered; anything else is ``unknown``) and a button by the handler that answered it, never
by its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.in_progress import InProgress
from crm_core.analytics import (
    BUCKETS_MS,
    NOT_COUNTED,
    OVERFLOW_MS,
    Metric,
    UsageRecorder,
    UsageReport,
)

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def command_of(text: str) -> str | None:
    """``/export@bot args`` -> ``export``; None for free text."""
    if not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""


PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _handler_name(data: dict[str, Any]) -> str:
    handler = data.get("handler")
    callback = handler.callback if isinstance(handler, HandlerObject) else None
    return getattr(callback, "__name__", "other")


class FeatureUsageMiddleware(BaseMiddleware):
    """Inner middleware (runs once a handler matched): counts the command or the button."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        usage = data.get("usage", NOT_COUNTED)
        if isinstance(event, Message) and command_of(event.text or "") is not None:
            # Set by a Command filter only: a name the bot registered, never the user's text
            # (a group's refusal or a policy prompt also answers "/marie_dupont").
            matched = data.get("command")
            usage.count(
                Metric.COMMAND,
                matched.command.lower() if isinstance(matched, CommandObject) else "unknown",
            )
        elif isinstance(event, CallbackQuery):
            usage.count(Metric.BUTTON, _handler_name(data))
        return await handler(event, data)


class UpdatesInProgress(BaseMiddleware):
    """Outer update middleware: how many updates this process is handling, so that a stop
    can wait for them (polling does not) before the last flush and the database closing."""

    def __init__(self) -> None:
        self.work = InProgress()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.work.one():
            return await handler(event, data)


class UsageFlusher:
    """Writes the counts every ``seconds`` and once more when the bot stops. A flush is never
    cancelled halfway: its counts could be committed and then written again."""

    def __init__(self, recorder: UsageRecorder, seconds: float) -> None:
        self.recorder = recorder
        self.seconds = seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name="usage-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping.set()
            await self._task  # a flush in progress finishes
            self._task = None
        await self._flush()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.seconds)
            if not self._stopping.is_set():
                await self._flush()

    async def _flush(self) -> None:
        try:
            await self.recorder.flush()
        except Exception:  # kept in memory for the next flush
            log.warning("could not write usage figures; will retry", exc_info=True)


def prometheus_text(recorder: UsageRecorder, in_flight: int | None = None) -> str:
    """This process's figures since it started, in Prometheus' text format (labels are
    code-defined names only: no agency, no user)."""
    totals = recorder.totals
    lines = [
        "# HELP crm_usage_total Features used since the process started.",
        "# TYPE crm_usage_total counter",
    ]
    for (metric, name), count in sorted(totals.counts.items()):
        lines.append(f'crm_usage_total{{metric="{metric}",name="{name}"}} {count}')
    lines += [
        "# HELP crm_operation_duration_seconds Time to run an operation.",
        "# TYPE crm_operation_duration_seconds histogram",
    ]
    for operation, buckets in sorted(totals.buckets.items()):
        cumulative = 0
        for bound in BUCKETS_MS:
            cumulative += buckets.get(bound, 0)
            lines.append(
                f'crm_operation_duration_seconds_bucket{{operation="{operation}",'
                f'le="{bound / 1000:g}"}} {cumulative}'
            )
        cumulative += buckets.get(OVERFLOW_MS, 0)
        labels = f'operation="{operation}"'
        lines += [
            f'crm_operation_duration_seconds_bucket{{{labels},le="+Inf"}} {cumulative}',
            f"crm_operation_duration_seconds_sum{{{labels}}} {totals.seconds[operation]:.6f}",
            f"crm_operation_duration_seconds_count{{{labels}}} {cumulative}",
        ]
    lines += [
        "# HELP crm_usage_unwritten Usage counters (distinct keys) waiting for the next flush.",
        "# TYPE crm_usage_unwritten gauge",
        f"crm_usage_unwritten {recorder.pending}",
    ]
    if in_flight is not None:
        lines += [
            "# HELP crm_updates_in_flight Updates being handled by this worker.",
            "# TYPE crm_updates_in_flight gauge",
            f"crm_updates_in_flight {in_flight}",
        ]
    return "\n".join(lines) + "\n"


def report_text(report: UsageReport) -> str:
    """``run_bot.py stats``: the service-wide figures, for operators (plain English)."""
    days = (report.last_day - report.first_day).days + 1
    lines = [
        f"Usage {report.first_day} to {report.last_day} ({days} days), all agencies",
        f"agencies active: {report.agencies}",
    ]
    if report.per_day:
        lines += ["", "operations per day:"]
        lines += [f"  {day}  {count:>8}" for day, count in report.per_day]
    for metric in Metric:
        items = report.counts.get(metric.value)
        if items:
            lines += ["", f"{metric.value} (total {report.total(metric)}):"]
            lines += [f"  {name:<40} {count:>8}" for name, count in items]
    if report.latencies:
        head = f"  {'latency, ms (estimated)':<40} {'runs':>8} {'p50':>8} {'p95':>8} {'p99':>8}"
        lines += ["", head]
        lines += [
            f"  {item.operation:<40} {item.count:>8} {item.p50_ms:>8.1f} {item.p95_ms:>8.1f}"
            f" {item.p99_ms:>8.1f}"
            for item in report.latencies
        ]
    if len(lines) == 2:
        lines += ["", "nothing counted in this period"]
    return "\n".join(lines)
