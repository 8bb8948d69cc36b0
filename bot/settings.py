"""Configuration from the environment and ``.env`` (see the README's table)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LOCALES = ("en", "fr")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///data/crm.db"
    database_pool_size: int = Field(5, ge=1, le=100)
    redis_url: str | None = None
    data_dir: Path = Path("data")
    # Documents and staged imports are encrypted with it (base64 of 32 bytes); without it a
    # key is generated into DATA_DIR/secret.key on first run. Never logged.
    data_encryption_key: SecretStr | None = None
    default_locale: str = "en"
    default_timezone: str = "Europe/Paris"
    privacy_policy_version: str = "2026-11"
    privacy_policy_url: str = "https://example.com/privacy"
    privacy_contact: str = "privacy@example.com"
    # /delete takes effect after this many days (the policy promises erasure within 30).
    account_deletion_grace_days: int = Field(14, ge=0, le=30)
    # Encrypted database backups in DATA_DIR/backups: a daily job (02:30 UTC, in the process
    # that runs the scheduler) and ``run_bot.py backup``; older ones are pruned.
    backup_enabled: bool = True
    backup_keep_days: int = Field(90, ge=1, le=3650)
    confirmation_ttl_seconds: int = Field(600, ge=30)
    # Claude NLU: without a key the offline parser serves every message.
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-haiku-4-5"
    anthropic_max_retries: int = Field(2, ge=0, le=10)
    anthropic_timeout_seconds: float = Field(30.0, gt=0, le=600)
    nlu_max_rounds: int = Field(6, ge=1, le=20)
    nlu_max_rows: int = Field(10, ge=1, le=50)
    nlu_max_tokens: int = Field(1024, ge=64, le=8192)
    log_level: str = "INFO"
    # Reminders and digests (scheduler/): in the bot process, or alone (run_bot.py scheduler).
    scheduler_enabled: bool = True
    reminder_sweep_seconds: int = Field(30, ge=1, le=3600)
    reminder_lease_seconds: int = Field(120, ge=10, le=3600)
    late_after_minutes: int = Field(10, ge=0, le=1440)
    # Webhook mode (run_bot.py webhook; the default mode when WEBHOOK_URL is set).
    webhook_url: str | None = None  # the public HTTPS URL Telegram posts to
    webhook_secret: SecretStr | None = None  # X-Telegram-Bot-Api-Secret-Token; required
    webhook_host: str = "127.0.0.1"  # behind a reverse proxy: listen locally
    webhook_port: int = Field(8080, ge=1, le=65535)
    webhook_path: str = "/telegram"
    # Redis FSM storage: keys are "<prefix>:..."; idle conversations expire after the TTL.
    redis_prefix: str = "crm"
    fsm_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)
    # Rate limits per Telegram user (memory, or Redis when REDIS_URL is set).
    rate_messages_per_minute: int = Field(30, ge=1)
    rate_ai_messages_per_hour: int = Field(60, ge=1)  # free text, when a Claude key is set
    rate_exports_per_day: int = Field(3, ge=1)  # /export and /client_export
    invite_max_failures: int = Field(5, ge=1)  # failed invitation links in the window...
    invite_failure_window_seconds: int = Field(600, ge=1)
    invite_lockout_seconds: int = Field(3600, ge=1)  # ...lock further attempts this long
    # Usage analytics (counts per feature and day, no identifiers; objectors not counted).
    analytics_enabled: bool = True
    analytics_flush_seconds: int = Field(60, ge=1, le=3600)

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    def sqlite_path(self) -> Path | None:
        """The SQLite file, so its folder can be created before first use."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix(prefix))
        return None
