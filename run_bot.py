"""Entry point: ``python run_bot.py [console|polling|webhook|scheduler] [--no-scheduler]``.

Without a mode, the bot serves a webhook when WEBHOOK_URL is set, polls Telegram when only
BOT_TOKEN is, and opens the console chat otherwise, so a fresh checkout runs with no
configuration at all. ``scheduler`` delivers reminders and digests without answering updates
(deployments with several webhook workers started with ``--no-scheduler``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings


def default_mode(settings: Settings) -> str:
    if not settings.bot_token:
        return "console"
    return "webhook" if settings.webhook_url else "polling"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["console", "polling", "webhook", "scheduler"])
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not deliver reminders from this process (a separate `scheduler` does)",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    if args.no_scheduler:
        settings = settings.model_copy(update={"scheduler_enabled": False})
    mode = args.mode or default_mode(settings)
    log_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if mode == "console":  # the terminal is the chat: logs go to a file
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(
            filename=settings.data_dir / "console.log", level=logging.INFO, format=log_format
        )
    else:
        logging.basicConfig(level=settings.log_level, format=log_format)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job run
    from bot import run_modes, webhook

    if mode in ("polling", "webhook", "scheduler") and not settings.bot_token:
        print(
            f"{mode} needs BOT_TOKEN (or run the console: python run_bot.py console)",
            file=sys.stderr,
        )
        return 2
    if mode == "webhook":
        try:
            webhook.webhook_secret(settings)
        except webhook.WebhookConfigError as error:
            print(f"cannot start webhook mode: {error}", file=sys.stderr)
            return 2
        asyncio.run(run_modes.run_webhook(settings))
    elif mode == "polling":
        asyncio.run(run_modes.run_polling(settings))
    elif mode == "scheduler":
        asyncio.run(run_modes.run_scheduler(settings))
    else:
        asyncio.run(run_modes.run_console_chat(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
