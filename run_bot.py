"""Entry point: ``python run_bot.py [console|polling|webhook|scheduler] [--no-scheduler]``,
``python run_bot.py backup``, ``python run_bot.py restore <backup file> <new file>`` and
``python run_bot.py stats [--days N]`` (service-wide usage figures).

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
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings

MODES = ["console", "polling", "webhook", "scheduler", "backup", "restore", "stats"]


def default_mode(settings: Settings) -> str:
    if not settings.bot_token:
        return "console"
    return "webhook" if settings.webhook_url else "polling"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=MODES)
    parser.add_argument("files", nargs="*", type=Path, help="restore: <backup file> <new file>")
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not deliver reminders from this process (a separate `scheduler` does)",
    )
    parser.add_argument("--days", type=int, help="stats: how many days, up to today (default 7)")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.no_scheduler:
        settings = settings.model_copy(update={"scheduler_enabled": False})
    mode = args.mode or default_mode(settings)
    if mode in ("backup", "restore"):
        return backup_command(mode, args.files, settings)
    if mode == "stats" and args.files:
        parser.error("stats takes no arguments but --days N")
    if mode == "stats":
        return stats_command(7 if args.days is None else args.days, settings)
    if args.days is not None:
        parser.error("--days is for stats only")
    if args.files:
        parser.error(f"{mode} takes no file arguments")
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


def stats_command(days: int, settings: Settings) -> int:
    """Usage over the last ``days`` days, every agency together; no bot token needed."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot import run_modes

    if not 1 <= days <= 3650:
        print("--days must be between 1 and 3650", file=sys.stderr)
        return 2
    today = datetime.now(UTC).date()
    try:
        print(asyncio.run(run_modes.run_stats(settings, days=days, today=today)))
    except (SQLAlchemyError, OSError) as error:
        print(f"stats failed: {error}", file=sys.stderr)
        return 1
    return 0


def backup_command(mode: str, files: list[Path], settings: Settings) -> int:
    """Operator commands: plain output, no bot token needed."""
    from bot import run_modes
    from crm_core.backups import BackupError
    from crm_core.storage import EncryptionKeyError, StorageError

    logging.basicConfig(level=settings.log_level)
    try:
        if mode == "backup":
            if files:
                print("backup takes no arguments", file=sys.stderr)
                return 2
            print(asyncio.run(run_modes.run_backup(settings)))
            return 0
        if len(files) != 2:
            print("usage: python run_bot.py restore <backup file> <new file>", file=sys.stderr)
            return 2
        restored = run_modes.run_restore(settings, files[0], files[1])
    except (BackupError, StorageError, EncryptionKeyError, OSError) as error:
        print(f"{mode} failed: {error}", file=sys.stderr)
        return 1
    print(f"restored into {restored.path}")
    if restored.next_step:
        print(f"load it into an empty database: {restored.next_step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
