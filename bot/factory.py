"""Composition root: the Bot, the Dispatcher and everything they are wired with."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BotCommand, ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import UserLocaleMiddleware, create_i18n
from bot.limits import LimitBackend, RateLimiter, create_limit_backend
from bot.middlewares import MemberContextMiddleware, RateLimitMiddleware
from bot.notifier import DealEventsMiddleware
from bot.settings import SUPPORTED_LOCALES, Settings
from bot.storage import create_isolation, create_storage
from bot.usage import FeatureUsageMiddleware, UpdatesInProgress, UsageFlusher
from crm_core.analytics import NOT_COUNTED, Metric, Usage, UsageRecorder, snake_case
from crm_core.db import Database
from crm_core.descriptions import DescriptionWriter
from crm_core.registry import Registry, build_registry
from handlers.router import build_router
from nlu.interpreter import Interpreter
from nlu.rules import RuleInterpreter
from scheduler.notifier import Notifier

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

UPDATE_TIME_LIMIT_SECONDS = 60.0  # the longest an update may take (Claude rounds included)


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession()
        if settings.telegram_api_url:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_url)
    token = settings.bot_token.get_secret_value() if settings.bot_token else "0:console"
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def menu_commands() -> list[BotCommand]:
    """The command menu, in the current locale."""
    return [
        BotCommand(command="today", description=_("Your agenda")),
        BotCommand(command="contacts", description=_("Find contacts")),
        BotCommand(command="properties", description=_("Find properties")),
        BotCommand(command="deals", description=_("Open deals")),
        BotCommand(command="leads", description=_("Hottest leads")),
        BotCommand(command="reminders", description=_("Your reminders")),
        BotCommand(command="new", description=_("Add a contact, property or deal")),
        BotCommand(command="team", description=_("Your team")),
        BotCommand(command="invite", description=_("Invite an agent")),
        BotCommand(command="docs", description=_("Documents of a record")),
        BotCommand(command="language", description=_("Change language")),
        BotCommand(command="privacy", description=_("Your data and your rights")),
        BotCommand(command="help", description=_("What I can do")),
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    for locale in SUPPORTED_LOCALES:
        with i18n.context(), i18n.use_locale(locale):
            commands = menu_commands()
        await bot.set_my_commands(commands, language_code=locale)
    with i18n.context(), i18n.use_locale(i18n.default_locale):
        await bot.set_my_commands(menu_commands())


def create_anthropic_client(settings: Settings) -> AsyncAnthropic | None:
    if settings.anthropic_api_key is None:
        return None
    # Imported here: the SDK takes seconds to import, and keyless runs never need it.
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        max_retries=settings.anthropic_max_retries,
        timeout=settings.anthropic_timeout_seconds,
    )


def create_description_writer(settings: Settings) -> DescriptionWriter | None:
    """Claude writes listing texts when a key is set; else the operation's template does."""
    client = create_anthropic_client(settings)
    if client is None:
        return None
    from nlu.claude.describe import ClaudeDescriptionWriter

    return ClaudeDescriptionWriter(client, model=settings.anthropic_model)


def create_interpreter(settings: Settings, registry: Registry | None = None) -> Interpreter:
    """Claude with the offline parser as its fallback when a key is set; else the parser."""
    client = create_anthropic_client(settings)
    if client is None:
        return RuleInterpreter()
    from nlu.claude import ClaudeInterpreter

    return ClaudeInterpreter(
        client,
        model=settings.anthropic_model,
        max_rounds=settings.nlu_max_rounds,
        max_rows=settings.nlu_max_rows,
        max_tokens=settings.nlu_max_tokens,
        fallback=RuleInterpreter(),
        registry=registry,
    )


def create_dispatcher(
    settings: Settings,
    db: Database,
    *,
    storage: BaseStorage | None = None,
    registry: Registry | None = None,
    interpreter: Interpreter | None = None,
    clock: Callable[[], datetime] = utc_now,
    notifier: Notifier | None = None,
    limits: LimitBackend | None = None,
) -> Dispatcher:
    registry = registry or build_registry()
    limiter = RateLimiter(limits or create_limit_backend(settings), clock)
    i18n = create_i18n(settings.default_locale)
    storage = storage or create_storage(settings)  # Redis when REDIS_URL is set
    recorder = UsageRecorder(db, clock) if settings.analytics_enabled else None
    in_progress = UpdatesInProgress()
    dp = Dispatcher(
        storage=storage,
        events_isolation=create_isolation(storage),
        settings=settings,
        registry=registry,
        rate_limiter=limiter,
        usage_recorder=recorder,
        updates_in_progress=in_progress,
    )
    writer = create_description_writer(settings)
    dp.update.outer_middleware(in_progress)  # first: a stop waits for the updates it counts
    dp.update.outer_middleware(MemberContextMiddleware(db, registry, clock, writer, recorder))
    # Inside the member middleware: sees the update's CRM service once the handler is done.
    dp.update.outer_middleware(DealEventsMiddleware(db, i18n, clock, notifier))
    UserLocaleMiddleware(i18n).setup(dp)
    # Inside the member and locale middlewares: knows the member, answers in their language.
    dp.message.outer_middleware(RateLimitMiddleware(limiter, settings))
    # Inner: runs once a handler matched, so a command is named only when one answered it.
    dp.message.middleware(FeatureUsageMiddleware())
    dp.callback_query.middleware(FeatureUsageMiddleware())
    interpreter = interpreter or create_interpreter(settings, registry)
    dp.include_router(build_router(registry, i18n, interpreter))

    flusher = UsageFlusher(recorder, settings.analytics_flush_seconds) if recorder else None

    @dp.startup()
    async def on_startup(bot: Bot) -> None:
        if flusher is not None:
            flusher.start()
        await register_commands(bot, i18n)

    @dp.shutdown()
    async def on_shutdown() -> None:
        # Polling stops without waiting for the updates being handled: let them finish, so
        # their work and their counts are not cut off by the database closing.
        await in_progress.work.wait_idle(UPDATE_TIME_LIMIT_SECONDS)
        if flusher is not None:
            await flusher.stop()

    @dp.errors()
    async def on_error(event: ErrorEvent, usage: Usage = NOT_COUNTED) -> bool:
        """Log the fault; tell the user plainly. The update's transaction was rolled back."""
        log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
        usage.count(Metric.ERROR, f"crash:{snake_case(type(event.exception).__name__)}")
        message = event.update.message or (
            event.update.callback_query.message if event.update.callback_query else None
        )
        try:
            if event.update.callback_query:
                await event.update.callback_query.answer()
            if message is not None:
                with i18n.context():
                    await message.answer(
                        _("Sorry, something went wrong on my side. Please try again in a moment.")
                    )
        except Exception:  # the reply itself failed (network): the log has the story
            log.warning("could not tell the user about the failure", exc_info=True)
        return True

    return dp
