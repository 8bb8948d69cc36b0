"""With REDIS_URL, the conversation state lives in Redis (aiogram's RedisStorage): onboarding,
pending confirmations and the recent-records memory, under a prefix, with expiry times.
Skipped when TEST_REDIS_URL (default redis://127.0.0.1:6379/15) is unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.storage import RECENT_TTL_SECONDS
from tests.conftest import REDIS_URL
from tests.harness import ChatUser


@pytest.fixture
def settings(tmp_path: Path, redis_prefix: str) -> Settings:
    """Overrides conftest's: the harness's Dispatcher then stores its FSM data in Redis."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
        confirmation_ttl_seconds=600,
    )


async def ttls(prefix: str) -> dict[str, int]:
    from redis.asyncio import Redis

    async with Redis.from_url(REDIS_URL) as client:
        return {
            key.decode(): await client.ttl(key)
            async for key in client.scan_iter(match=f"{prefix}:*")
        }


async def test_conversations_live_in_redis_with_expiry(
    owner: ChatUser, settings: Settings, redis_prefix: str
) -> None:
    turn = await owner.send("add Marie Dupont 06 12 34 56 78 buyer Lyon 350k")
    assert "C1 Marie Dupont" in turn.text
    turn = await owner.send("remind me to call her tomorrow at 10")  # "her": the recent memory
    assert "Call Marie Dupont (C1)" in turn.text
    question = await owner.send("/delete_contact C1")
    assert "Delete C1" in question.text

    keys = await ttls(redis_prefix)
    recent = [ttl for key, ttl in keys.items() if key.endswith(":recent:data")]
    pending = [ttl for key, ttl in keys.items() if key.endswith(":pending:data")]
    assert recent and 0 < recent[0] <= RECENT_TTL_SECONDS
    assert pending and 0 < pending[0] <= settings.confirmation_ttl_seconds
    assert all(0 < ttl <= settings.fsm_ttl_seconds for ttl in keys.values()), keys

    done = await owner.press("Yes, delete")  # the confirmation came back from Redis
    assert "Deleted C1" in done.text
    assert not [key for key in await ttls(redis_prefix) if key.endswith(":pending:data")]
