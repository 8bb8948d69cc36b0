"""Usage analytics: how often each feature is used and how fast operations run, per day and
per agency, and never who or what.

A counter is keyed by (day, agency, metric, name) where the name is code-defined (an
operation, a command, an NLU path, an error class) and must look like one, so a record ref, a
person's name or a message's text cannot end up in a figure even by mistake. Latencies are
kept as histogram buckets, not samples: percentiles are estimated from the buckets. People who
objected to analytics (``User.analytics_opt_out``) are not counted at all.

Figures accumulate in memory and are written by :meth:`UsageRecorder.flush` (every minute in
the bot, on shutdown, and before ``/stats`` reads them); a failed flush keeps them for the
next one. Delivery is at least once: a connection lost right after a COMMIT counts that flush
twice, and a process killed outright loses up to a minute of counts (never CRM data).
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.context import Actor
from crm_core.db import Database
from crm_core.errors import Forbidden
from crm_core.models import UsageCount, UsageLatency

log = logging.getLogger(__name__)

NO_AGENCY = 0  # people without an agency yet (onboarding, invites)
RETENTION = timedelta(days=400)  # a year and a bit, for year-on-year figures
# Upper bounds of the latency buckets, in milliseconds; the last bucket is everything above.
BUCKETS_MS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000)
OVERFLOW_MS = 2**31 - 1  # the bound stored for the last, open bucket
SAFE_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}(?::[a-z][a-z0-9_]{0,30})?")
OTHER = "other"


class Metric(StrEnum):
    OPERATION = "operation"  # an operation that ran ("delete_contact:asked": a confirmation)
    COMMAND = "command"  # a slash command a handler answered
    BUTTON = "button"  # a button pressed, by the handler that answered it
    NLU = "nlu"  # the path free text took: rules, claude, none, <engine>:fallback_<why>
    ERROR = "error"  # refusals ("add_contact:invalid_input"), limits, crashes


def safe_name(name: str) -> str:
    """The name when it looks like code (``add_contact``, ``fallback:restricted``); else
    ``other``. A guard: callers pass code-defined names, never user text."""
    return name if SAFE_NAME.fullmatch(name) else OTHER


def snake_case(name: str) -> str:
    """``InvalidInput`` -> ``invalid_input`` (error class names as counter names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def bucket_of(seconds: float) -> int:
    """The upper bound (ms) of the bucket a duration falls in."""
    index = bisect.bisect_left(BUCKETS_MS, seconds * 1000)
    return BUCKETS_MS[index] if index < len(BUCKETS_MS) else OVERFLOW_MS


@dataclass
class ProcessTotals:
    """Everything counted since the process started, across agencies and days: what the
    Prometheus endpoint exposes."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    buckets: dict[str, Counter[int]] = field(default_factory=dict)
    seconds: Counter[str] = field(default_factory=Counter)


CountKey = tuple[date, int, str, str]
LatencyKey = tuple[date, int, str, int]


class UsageRecorder:
    """Counts in memory; :meth:`flush` adds the counts to the database."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.totals = ProcessTotals()
        self._counts: Counter[CountKey] = Counter()
        self._latencies: Counter[LatencyKey] = Counter()

    def usage_for(self, actor: Actor | None) -> Usage:
        """What one update may count: nothing for someone who objected."""
        if actor is None:
            return Usage(self, NO_AGENCY)
        return Usage(self, actor.agency_id) if actor.counted else NOT_COUNTED

    def add(self, agency_id: int, metric: Metric, name: str) -> None:
        name = safe_name(name)
        self._counts[(self.clock().date(), agency_id, metric.value, name)] += 1
        self.totals.counts[(metric.value, name)] += 1

    def add_latency(self, agency_id: int, operation: str, seconds: float) -> None:
        operation, bound = safe_name(operation), bucket_of(seconds)
        self._latencies[(self.clock().date(), agency_id, operation, bound)] += 1
        self.totals.buckets.setdefault(operation, Counter())[bound] += 1
        self.totals.seconds[operation] += seconds

    @property
    def pending(self) -> int:
        return len(self._counts) + len(self._latencies)

    async def flush(self) -> None:
        """Add what was counted to the database. On failure the counts are kept (and the
        error raised) so the next flush writes them."""
        counts, self._counts = self._counts, Counter()
        latencies, self._latencies = self._latencies, Counter()
        if not counts and not latencies:
            return
        try:
            async with self.db.system_session() as session:
                await _add_counts(session, counts, latencies, sqlite_db=self.db.is_sqlite)
                await session.commit()
        except BaseException:
            self._counts.update(counts)
            self._latencies.update(latencies)
            raise


@dataclass(frozen=True)
class Usage:
    """The counting of one update, bound to its agency (or to nothing: an objector)."""

    recorder: UsageRecorder | None
    agency_id: int

    def count(self, metric: Metric, name: str) -> None:
        if self.recorder is not None:
            self.recorder.add(self.agency_id, metric, name)

    def latency(self, operation: str, seconds: float) -> None:
        if self.recorder is not None:
            self.recorder.add_latency(self.agency_id, operation, seconds)


NOT_COUNTED = Usage(None, NO_AGENCY)


def _adding(table: type[UsageCount] | type[UsageLatency], keys: list[str], sqlite_db: bool) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE count = count + new: workers' flushes add up."""
    statement = (sqlite.insert if sqlite_db else postgresql.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={"count": table.count + statement.excluded.count}
    )


async def _add_counts(
    session: AsyncSession,
    counts: Counter[CountKey],
    latencies: Counter[LatencyKey],
    *,
    sqlite_db: bool,
) -> None:
    # Sorted: concurrent flushes of two workers lock the rows in one order (no deadlock).
    if counts:
        await session.execute(
            _adding(UsageCount, ["day", "agency_id", "metric", "name"], sqlite_db),
            [
                {"day": d, "agency_id": a, "metric": m, "name": n, "count": c}
                for (d, a, m, n), c in sorted(counts.items())
            ],
        )
    if latencies:
        await session.execute(
            _adding(UsageLatency, ["day", "agency_id", "operation", "le_ms"], sqlite_db),
            [
                {"day": d, "agency_id": a, "operation": o, "le_ms": b, "count": c}
                for (d, a, o, b), c in sorted(latencies.items())
            ],
        )


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    operation: str
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class UsageReport:
    first_day: date
    last_day: date
    counts: dict[str, list[tuple[str, int]]]  # metric -> (name, count), most used first
    latencies: list[Latency]  # most used first
    agencies: int  # agencies with any usage (service-wide reports)
    per_day: list[tuple[date, int]]  # operations run per day

    def total(self, metric: Metric) -> int:
        return sum(count for _, count in self.counts.get(metric.value, []))


def percentile(buckets: dict[int, int], fraction: float) -> float:
    """Estimate a percentile (ms) from bucket counts, interpolating inside the bucket."""
    total = sum(buckets.values())
    if total == 0:
        return math.nan
    rank = fraction * total
    seen = 0
    for bound in sorted(buckets):
        count = buckets[bound]
        if count and seen + count >= rank:
            if bound == OVERFLOW_MS:
                return float(BUCKETS_MS[-1])  # above the last bound: the bound is all we know
            index = bisect.bisect_left(BUCKETS_MS, bound)  # bounds stored by older code too
            lower = BUCKETS_MS[index - 1] if index else 0
            return lower + (bound - lower) * (rank - seen) / count
        seen += count
    return float(BUCKETS_MS[-1])


async def report(
    session: AsyncSession, *, today: date, days: int, agency_id: int | None = None
) -> UsageReport:
    """Usage over the last ``days`` days up to ``today``: one agency's, or the service's
    when ``agency_id`` is None."""
    first = today - timedelta(days=days - 1)
    count_scope = [UsageCount.day >= first, UsageCount.day <= today]
    latency_scope = [UsageLatency.day >= first, UsageLatency.day <= today]
    if agency_id is not None:
        count_scope.append(UsageCount.agency_id == agency_id)
        latency_scope.append(UsageLatency.agency_id == agency_id)
    rows = await session.execute(
        select(UsageCount.metric, UsageCount.name, func.sum(UsageCount.count))
        .where(*count_scope)
        .group_by(UsageCount.metric, UsageCount.name)
    )
    counts: dict[str, list[tuple[str, int]]] = {}
    for metric, name, total in rows:
        counts.setdefault(metric, []).append((name, int(total)))
    for items in counts.values():
        items.sort(key=lambda item: (-item[1], item[0]))
    buckets: dict[str, dict[int, int]] = {}
    for operation, bound, total in await session.execute(
        select(UsageLatency.operation, UsageLatency.le_ms, func.sum(UsageLatency.count))
        .where(*latency_scope)
        .group_by(UsageLatency.operation, UsageLatency.le_ms)
    ):
        buckets.setdefault(operation, {})[bound] = int(total)
    latencies = sorted(
        (
            Latency(
                operation,
                sum(spread.values()),
                percentile(spread, 0.50),
                percentile(spread, 0.95),
                percentile(spread, 0.99),
            )
            for operation, spread in buckets.items()
        ),
        key=lambda latency: (-latency.count, latency.operation),
    )
    agencies = await session.scalar(
        select(func.count(func.distinct(UsageCount.agency_id))).where(
            *count_scope, UsageCount.agency_id != NO_AGENCY
        )
    )
    per_day = await session.execute(
        select(UsageCount.day, func.sum(UsageCount.count))
        .where(*count_scope, UsageCount.metric == Metric.OPERATION.value)
        .group_by(UsageCount.day)
        .order_by(UsageCount.day)
    )
    return UsageReport(
        first,
        today,
        counts,
        latencies,
        int(agencies or 0),
        [(day, int(total)) for day, total in per_day],
    )


async def agency_report(recorder: UsageRecorder, actor: Actor, *, days: int) -> UsageReport:
    """The actor's agency's usage up to today, this process's latest counts included; for the
    owner only. Read in a fresh session: one opened earlier may not see the flush."""
    if not actor.is_owner:
        raise Forbidden("stats")
    try:
        await recorder.flush()
    except Exception:  # the figures up to the last flush still answer
        log.warning("could not write usage figures before a report", exc_info=True)
    async with recorder.db.session(actor.agency_id) as session:
        return await report(
            session, today=recorder.clock().date(), days=days, agency_id=actor.agency_id
        )


async def forget_agency(session: AsyncSession, agency_id: int) -> None:
    """A closed agency's figures go with it."""
    await session.execute(delete(UsageCount).where(UsageCount.agency_id == agency_id))
    await session.execute(delete(UsageLatency).where(UsageLatency.agency_id == agency_id))


async def prune(session: AsyncSession, today: date, keep: timedelta = RETENTION) -> int:
    """Drop figures older than the retention period; returns the rows dropped."""
    oldest = today - keep
    dropped = 0
    for table in (UsageCount, UsageLatency):
        result = await session.execute(delete(table).where(table.day < oldest))
        dropped += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return dropped
