"""Configuration from the environment (``PORTAL_*``), validated once at start-up."""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_TOKEN_SECRET = "dev-only-token-hashing-secret-change-me"  # noqa: S105


class Environment(enum.StrEnum):
    DEV = "dev"
    PROD = "prod"


class Settings(BaseSettings):
    """Everything the portal reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEV
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+asyncpg://...). Unset: embedded PostgreSQL.",
    )
    data_dir: Path = Path(".portal")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    token_secret: SecretStr = SecretStr(DEVELOPMENT_TOKEN_SECRET)
    log_level: str = "INFO"
    introspection: bool | None = Field(
        default=None, description="Allow schema introspection. Default: on in dev, off in prod."
    )
    db_pool_size: int = Field(default=10, ge=1)
    jobs_interval: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between runs of the scheduled governance jobs; 0 disables them.",
    )

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> Settings:
        if self.environment is Environment.PROD:
            if self.token_secret.get_secret_value() == DEVELOPMENT_TOKEN_SECRET:
                raise ValueError("PORTAL_TOKEN_SECRET must be set to a real secret in production")
            if len(self.token_secret.get_secret_value()) < 32:
                raise ValueError("PORTAL_TOKEN_SECRET must be at least 32 characters")
        return self

    @property
    def is_dev(self) -> bool:
        return self.environment is Environment.DEV

    @property
    def introspection_enabled(self) -> bool:
        return self.is_dev if self.introspection is None else self.introspection


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
