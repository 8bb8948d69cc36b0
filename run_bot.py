"""Entry point: ``python run_bot.py [console|polling]``.

Without a mode, the bot polls Telegram when BOT_TOKEN is set and opens the console chat
otherwise, so a fresh checkout runs with no configuration at all.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["console", "polling"])
    args = parser.parse_args(argv)
    settings = Settings()
    mode = args.mode or ("polling" if settings.bot_token else "console")
    log_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if mode == "console":  # the terminal is the chat: logs go to a file
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(
            filename=settings.data_dir / "console.log", level=logging.INFO, format=log_format
        )
    else:
        logging.basicConfig(level=settings.log_level, format=log_format)
    from bot import run_modes

    if mode == "polling":
        if not settings.bot_token:
            print(
                "polling needs BOT_TOKEN (or run the console: python run_bot.py console)",
                file=sys.stderr,
            )
            return 2
        asyncio.run(run_modes.run_polling(settings))
    else:
        asyncio.run(run_modes.run_console_chat(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
