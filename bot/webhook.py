"""Webhook mode: Telegram posts updates to an aiohttp server (behind a TLS reverse proxy).

Updates are handled before the request is answered (``handle_in_background=False``): Telegram
gets its 200 only once an update's transaction is committed, so a worker that dies or is
stopped mid-update leaves it unanswered and Telegram delivers it again. On SIGTERM the server
stops accepting connections and waits for the requests in flight before the process exits.
(We drain them ourselves: aiohttp runs ``on_shutdown``, where aiogram closes the Bot session
and the FSM storage, before it waits for the handlers still running.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.factory import UPDATE_TIME_LIMIT_SECONDS
from bot.in_progress import InProgress
from bot.settings import Settings
from bot.usage import PROMETHEUS_CONTENT_TYPE, UpdatesInProgress, prometheus_text
from crm_core.analytics import UsageRecorder
from crm_core.db import Database

log = logging.getLogger(__name__)

# Telegram's rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
SHUTDOWN_TIMEOUT_SECONDS = UPDATE_TIME_LIMIT_SECONDS


class InFlight:
    """Counts the requests being handled, so that a stop can wait for them."""

    def __init__(self) -> None:
        self.requests = InProgress()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        async with self.requests.one():
            return await handler(request)


IN_FLIGHT = web.AppKey("in_flight", InFlight)


class WebhookConfigError(ValueError):
    """Webhook mode cannot start as configured; the message says what to set."""


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send. Without one aiogram accepts any request: refuse."""
    if settings.webhook_secret is None:
        raise WebhookConfigError(
            "webhook mode needs WEBHOOK_SECRET (1-256 characters of A-Z a-z 0-9 _ -): without "
            "it anyone who finds the URL can post updates as any user"
        )
    secret = settings.webhook_secret.get_secret_value()
    if not SECRET_PATTERN.fullmatch(secret):
        raise WebhookConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
    if not settings.webhook_url:
        raise WebhookConfigError("webhook mode needs WEBHOOK_URL (the public HTTPS URL)")
    return secret


async def _healthy(db: Database, storage: object) -> bool:
    try:
        await db.ping()
        if isinstance(storage, RedisStorage):
            await storage.redis.ping()
    except Exception:  # any failure means "take me out of the pool"
        log.warning("health check failed", exc_info=True)
        return False
    return True


def build_app(settings: Settings, dp: Dispatcher, bot: Bot, db: Database) -> web.Application:
    """The aiohttp app: the webhook (401 without the secret), GET /healthz and, with usage
    analytics on, GET /metrics (Prometheus; this worker's counts, no identifiers)."""
    secret = webhook_secret(settings)
    in_flight = InFlight()
    app = web.Application(middlewares=[in_flight.middleware])
    app[IN_FLIGHT] = in_flight
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=secret).register(
        app, path=settings.webhook_path
    )
    setup_application(app, dp, bot=bot)  # the Dispatcher's startup and shutdown hooks

    async def healthz(_request: web.Request) -> web.Response:
        if await _healthy(db, dp.storage):
            return web.Response(text="ok")
        return web.Response(status=503, text="unavailable")

    app.router.add_get("/healthz", healthz)

    recorder = dp.workflow_data.get("usage_recorder")
    updates = dp.workflow_data.get("updates_in_progress")
    if isinstance(recorder, UsageRecorder):

        async def metrics(_request: web.Request) -> web.Response:
            in_progress = updates.work.count if isinstance(updates, UpdatesInProgress) else None
            body = prometheus_text(recorder, in_flight=in_progress)
            return web.Response(
                body=body.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE}
            )

        app.router.add_get("/metrics", metrics)

    async def set_webhook(_app: web.Application) -> None:
        await bot.set_webhook(
            settings.webhook_url or "",
            secret_token=secret,
            drop_pending_updates=False,
            allowed_updates=dp.resolve_used_update_types(),
        )

    app.on_startup.append(set_webhook)
    return app


async def serve(app: web.Application, settings: Settings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set or SIGINT/SIGTERM arrives, then drain the requests."""
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
    await runner.setup()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        log.info(
            "webhook listening on %s:%s%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        await stop.wait()
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        for site in list(runner.sites):  # no new connections; requests in flight go on
            await site.stop()
        await app[IN_FLIGHT].requests.wait_idle(SHUTDOWN_TIMEOUT_SECONDS)
        await runner.cleanup()
