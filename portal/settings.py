"""Configuration from the environment (``PORTAL_*``), validated once at start-up."""

from __future__ import annotations

import enum
import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

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
        description="The server's connection (postgresql+asyncpg://portal_server:...@host/db)."
        " Unset: embedded PostgreSQL.",
    )
    operator_database_url: str | None = Field(
        default=None,
        description="The connection of migrations and operator commands (demo, token, org,"
        " audit): the schema's owner. Unset: PORTAL_DATABASE_URL.",
    )
    server_role_password: SecretStr | None = Field(
        default=None,
        description="Password `portal db upgrade` gives the portal_server login role.",
    )
    data_dir: Path = Path(".portal")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    token_secret: SecretStr = SecretStr(DEVELOPMENT_TOKEN_SECRET)
    log_level: str = "INFO"
    introspection: bool | None = Field(
        default=None, description="Allow schema introspection. Default: on in dev, off in prod."
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="The most database connections a server process holds: opened as "
        "requests need them and kept, so a burst never opens and closes connections.",
    )
    compiled_reads: Literal["on", "off", "verify"] = Field(
        default="on",
        description="Serve queries whose whole selection is declared in SQL from one "
        "statement (on), never (off), or run both paths and refuse an answer where they "
        "differ (verify, for tests).",
    )
    jobs_interval: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between runs of the scheduled governance jobs; 0 disables them.",
    )

    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins of partner frontends allowed to call the API from a browser, "
        'as a JSON list (["https://portal.example.org"]). Empty: none.',
    )

    # Limits, in the order a request meets them. The defaults sit far above what a partner
    # frontend sends (its largest page is a few hundred tokens, depth 6, a handful of
    # aliases) and far below what makes a request expensive.
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest request body; larger: HTTP 413."
    )
    body_read_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send the whole body; slower: HTTP 408.",
    )
    max_url_bytes: int = Field(
        default=16 * 1024, ge=256, description="Longest path and query string; longer: HTTP 414."
    )
    max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, description="Largest total of header lines; larger: HTTP 431."
    )
    max_document_characters: int = Field(
        default=20_000, ge=100, description="Longest GraphQL document, in characters."
    )
    max_tokens: int = Field(
        default=1_000, ge=10, description="Most lexical tokens in a GraphQL document."
    )
    max_depth: int = Field(
        default=8, ge=1, description="Deepest selection, counted through fragments."
    )
    max_aliases: int = Field(default=15, ge=0, description="Most aliases in a document.")
    max_directives: int = Field(default=10, ge=0, description="Most directives in a document.")
    max_cost: int = Field(
        default=500_000,
        ge=1,
        description="Most objects one operation may return, counted before it runs.",
    )
    cost_budget_per_credential: int = Field(
        default=2_000_000,
        ge=0,
        description="Query cost one credential may spend per minute, all server processes "
        "together; 0: unlimited.",
    )
    cost_budget_per_organisation: int = Field(
        default=5_000_000,
        ge=0,
        description="Query cost one organisation's credentials may spend per minute together; "
        "0: unlimited.",
    )
    max_repeated_fields: int = Field(
        default=10,
        ge=1,
        description="Most times one response name may be selected in one selection set "
        "(fragments expanded).",
    )

    public_url: str | None = Field(
        default=None,
        description="The portal's public base URL (https://portal.example.org): the issuer of "
        "its access tokens and the base of its OAuth endpoints. Unset: http://HOST:PORT.",
    )
    key_encryption_key: SecretStr | None = Field(
        default=None,
        description="Encrypts the portal's signing keys and the identity providers' client "
        "secrets at rest (any string of 32 characters or more). Unset: derived from "
        "PORTAL_TOKEN_SECRET.",
    )
    access_token_seconds: int = Field(
        default=300, ge=30, le=3600, description="Lifetime of the portal's access tokens."
    )
    refresh_token_days: int = Field(
        default=30, ge=1, le=365, description="Lifetime of a sign-in's refresh tokens."
    )
    signin_seconds: int = Field(
        default=600,
        ge=60,
        le=3600,
        description="How long a person has to finish signing in at their identity provider.",
    )
    key_set_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="Least seconds between two fetches of one identity provider's key set "
        "when tokens name keys it lacks (a rotation), so made-up key ids cannot flood it.",
    )
    outbound_timeout: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Seconds the portal waits for an identity provider (discovery, keys, "
        "token exchange).",
    )

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> Settings:
        if self.environment is Environment.PROD:
            if self.token_secret.get_secret_value() == DEVELOPMENT_TOKEN_SECRET:
                raise ValueError("PORTAL_TOKEN_SECRET must be set to a real secret in production")
            if len(self.token_secret.get_secret_value()) < 32:
                raise ValueError("PORTAL_TOKEN_SECRET must be at least 32 characters")
            if self.public_url is None or not _is_secure_origin(self.public_url):
                raise ValueError(
                    "PORTAL_PUBLIC_URL must be set to an https:// URL in production"
                    " (http only for localhost)"
                )
        if self.key_encryption_key is not None and len(self.key_encryption_key) < 32:
            raise ValueError("PORTAL_KEY_ENCRYPTION_KEY must be at least 32 characters")
        return self

    @property
    def audit_key(self) -> bytes:
        """The key audit entries and chain heads are signed with, derived from the token
        secret (one secret to keep; a leaked audit key would not reveal it)."""
        secret = self.token_secret.get_secret_value().encode()
        return hmac.new(secret, b"alliance-portal audit anchor", hashlib.sha256).digest()

    @property
    def sealing_key(self) -> bytes:
        """The AES-256 key that seals secrets at rest (``portal.signin.sealing``)."""
        if self.key_encryption_key is not None:
            configured = self.key_encryption_key.get_secret_value().encode()
            return hashlib.sha256(b"alliance-portal sealing\0" + configured).digest()
        secret = self.token_secret.get_secret_value().encode()
        return hmac.new(secret, b"alliance-portal sealing key", hashlib.sha256).digest()

    @property
    def issuer(self) -> str:
        """The portal's own issuer identifier: its public URL without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def is_dev(self) -> bool:
        return self.environment is Environment.DEV

    @property
    def introspection_enabled(self) -> bool:
        return self.is_dev if self.introspection is None else self.introspection


def _is_secure_origin(url: str) -> bool:
    """https, or http on the machine itself (RFC 8252's loopback exception)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"}


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
