"""Runtime configuration: one frozen object built once from ``PICS_SYNC_*`` environment variables.

Secrets are ``SecretStr`` and can come from a file named by ``<NAME>_FILE`` (Docker and Kubernetes
secrets), so they never need to sit in the environment or a log line; ``<NAME>`` and ``<NAME>_FILE``
both set stop start-up.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync_core import clock
from sync_core.errors import ConfigurationError
from sync_core.state.links import CACHE_SIZE as LINKS_CACHE_SIZE

ENV_PREFIX = "PICS_SYNC_"
HASH_KEY_MIN_LENGTH = 32  # PICS_SYNC_HASH_KEY: shorter is refused at start
CONSOLE_TOKEN_MIN_LENGTH = 32  # PICS_SYNC_CONSOLE_TOKEN: shorter is refused at start
TOPIC_PARTITIONS = 6
TOPIC_REPLICATION_FACTOR = -1  # the broker's default.replication.factor
TOPIC_CLEANUP_POLICY = "delete"
TOPIC_RETENTION_DAYS = 30  # why 30: see RuntimeConfig's topic settings
_DAY_MS = 86_400_000
_SECRETS = (
    "sa_password",
    "sa_client_key",
    "database_url",
    "kafka_sasl_password",
    "kafka_ssl_key_password",
    "console_token",
    "hash_key",
    "schema_registry_url",  # may carry a login (https://user:password@registry)
    "schema_registry_user_info",
    "schema_registry_bearer_token",
    "schema_registry_ssl_key_password",
)
# PICS_SYNC_* variables read outside RuntimeConfig: the CLI's --debug switch and the local stack's jar cache.
_READ_ELSEWHERE = frozenset({"PICS_SYNC_DEBUG", "PICS_SYNC_KAFKA_JARS"})


def process_count(value: Any) -> int | Literal["auto"]:
    """``PICS_SYNC_PROCESSES`` and ``run --processes``: a positive whole number or ``auto``; a
    ``ValueError`` otherwise."""
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValueError("must be a whole number of processes, 1 or more, or auto")
    return int(text)


class RuntimeConfig(BaseSettings):
    """Where the broker, the databases and Smart Assessor are, and how to reach them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_group_id: str = "pics-sync-push"
    kafka_session_timeout_ms: int = Field(default=45_000, ge=6_000)  # how soon a dead member's partitions move
    # Passed through to every Kafka client as librdkafka's security.protocol, sasl.* and ssl.* settings.
    kafka_security_protocol: str = Field(default="PLAINTEXT", pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$")
    kafka_sasl_mechanism: str | None = Field(default=None, pattern="^(PLAIN|SCRAM-SHA-256|SCRAM-SHA-512)$")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: str | None = None
    kafka_ssl_certificate_location: str | None = None
    kafka_ssl_key_location: str | None = None
    kafka_ssl_key_password: SecretStr | None = None
    topic_prefix: str = ""  # prepended to every topic name, e.g. "staging." or a test's own prefix
    dlq_topic: str | None = None  # if set, parked events are also copied to this topic (the prefix applies)
    # A plain str, as httpx takes it, but never in a repr: it may carry a login.
    schema_registry_url: str | None = Field(default=None, repr=False)
    # The registry's login (consumers/kafka/registry.py passes these to confluent-kafka's client): basic
    # auth as user:password, or a bearer token (with Confluent Cloud's logical cluster id); TLS files.
    schema_registry_user_info: SecretStr | None = None
    schema_registry_bearer_token: SecretStr | None = None
    schema_registry_logical_cluster: str | None = None
    schema_registry_ssl_ca_location: str | None = None
    schema_registry_ssl_certificate_location: str | None = None
    schema_registry_ssl_key_location: str | None = None
    schema_registry_ssl_key_password: SecretStr | None = None
    # Topics pics-sync creates (consumers/kafka/clients.py ensure_topics), and the retention it expects of
    # those that exist. 30 days: the README's replays "from T" reach back past a month-end's bad deploy or
    # an SA restored from last month's backup. -1 replicas: the broker's default.replication.factor.
    topic_partitions: int = Field(default=TOPIC_PARTITIONS, ge=1)
    topic_replication_factor: int = Field(default=TOPIC_REPLICATION_FACTOR, ge=-1)
    topic_retention_ms: int | None = Field(default=None, ge=-1)  # -1: kept for ever
    topic_retention_days: float | None = Field(default=None, gt=0)
    topic_cleanup_policy: str = Field(default=TOPIC_CLEANUP_POLICY, pattern="^(delete|compact|compact,delete)$")
    database_url: SecretStr = SecretStr("postgresql://postgres@localhost/postgres")
    # How long the database may take (sync_core.state.database.Limits): a connection attempt; a statement,
    # cancelled by the server past this and, with no answer 5 s later, its connection deemed dead (0: none);
    # data the peer does not acknowledge (0: the kernel's ~15 minutes); TCP keepalives on idle connections.
    database_connect_timeout_s: int = Field(default=10, ge=2)
    database_statement_timeout_s: float = Field(default=30.0, ge=0)
    database_tcp_user_timeout_s: float = Field(default=30.0, ge=0)
    database_keepalives: bool = True
    database_keepalives_idle_s: int = Field(default=30, ge=1)
    database_keepalives_interval_s: int = Field(default=10, ge=1)
    database_keepalives_count: int = Field(default=3, ge=1)
    # The pool of what runs beside the workers (console, /readyz, heartbeat, console redrives), apart from
    # theirs so neither starves the other. A redrive holds up to three connections at once.
    database_side_pool_size: int = Field(default=6, ge=3, le=64)
    # The HMAC key of the pushed-state hashes (X1); unset: one generated and kept in sync.hash_key.
    hash_key: SecretStr | None = None
    sa_base_url: str = "http://127.0.0.1:8700"
    sa_username: str = "sandbox"
    sa_password: SecretStr = SecretStr("")
    sa_client_key: SecretStr = SecretStr("")
    sa_timeout_s: float = Field(default=10.0, gt=0)
    # How long after we gave up on a write SA may still apply it (see sync_core.smart_assessor.in_doubt).
    sa_late_write_window_s: float = Field(default=30.0, ge=0)
    # The push consumer's guard on SA: calls a second (token bucket) and calls at once (workers).
    sa_rate_limit_per_s: float | None = Field(default=None, gt=0)  # unset: as fast as the workers go
    sa_max_concurrency: int = Field(default=32, ge=1, le=512)
    # Events processed at once (each of a different key). More than the SA cap, so that a worker's
    # ledger round trips leave no SA slot idle; unset: one and a half times the cap.
    consumer_workers: int | None = Field(default=None, ge=1, le=1024)
    # `run`: members of the consumer group this one command starts, each a process of its own
    # (consumers.supervisor); "auto": one per core this process may run on. The SA budgets above are the
    # whole command's, each member given an even share.
    processes: int | Literal["auto"] = 1
    settings_ttl_s: float = Field(default=5.0, ge=0)  # how long integration settings are cached
    # How long qualification links are cached; `qualifications refresh` tells running consumers at once
    # (sync_core.pics.qualification_links), so this only bounds a missed notice.
    links_ttl_s: float = Field(default=60.0, ge=0)
    # Links of sync.links kept in memory, the least recently used forgotten first; 0: always asked of the database.
    links_cache_size: int = Field(default=LINKS_CACHE_SIZE, ge=0)
    # The zone whose calendar decides every date: an event's day, a run's date, Y1 (sync_core.clock).
    timezone: str = clock.DEFAULT_ZONE
    # The one HTTP port for /metrics, /healthz, /readyz and the operator's console; loopback unless set.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9400, ge=0, le=65535)  # 0: no HTTP server
    console_token: SecretStr | None = None  # required by the console's actions (redrive, discard)
    # A signed-in console session ends this long after sign-in, however busy (consumers.web.sessions).
    console_session_ttl_s: float = Field(default=3600.0, gt=0)
    # Browsers reach the console over https (a TLS ingress in front): the session cookie is Secure and
    # a POST must come from an https:// origin. Served over TLS itself, the cookie is Secure anyway.
    console_https: bool = False
    crash_at: str | None = None  # fault hook for crash tests: exit at this checkpoint (sync_core.faults)
    raise_in_rule: str | None = None  # fault hook for tests: a rule raises for events of this key
    # /readyz turns 503 when the loop has finished nothing for this long while work is pending.
    stall_s: float = Field(default=120.0, gt=0)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    @property
    def workers(self) -> int:
        """How many events the push consumer processes at once (``consumer_workers`` or its default)."""
        return self.consumer_workers or max(1, self.sa_max_concurrency * 3 // 2)

    @property
    def zone(self) -> ZoneInfo:
        """``timezone`` as a zone (checked at start)."""
        return clock.zone(self.timezone)

    @property
    def topic_retention(self) -> int:
        """How long topics keep events, in milliseconds (``topic_retention_ms``, ``_days`` or 30 days)."""
        if self.topic_retention_ms is not None:
            return self.topic_retention_ms
        return round((self.topic_retention_days or TOPIC_RETENTION_DAYS) * _DAY_MS)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        clock.zone(name)  # an unknown name is refused at start, in one line
        return name

    @field_validator("processes", mode="before")
    @classmethod
    def _whole_or_auto(cls, value: Any) -> int | str:
        """One line whichever is wrong (not one per union member)."""
        return process_count(value)

    @field_validator("console_token")
    @classmethod
    def _console_token_long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        """An empty token is none (actions disabled); a short one is refused, its value never shown."""
        return _long_enough(token, CONSOLE_TOKEN_MIN_LENGTH, "a console token", " (e.g. `openssl rand -hex 32`)")

    @field_validator("hash_key")
    @classmethod
    def _hash_key_long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        """An empty key is none (one is generated); a short one is refused, its value never shown."""
        return _long_enough(key, HASH_KEY_MIN_LENGTH, "the hash key")

    @field_validator("schema_registry_user_info")
    @classmethod
    def _user_info_has_a_user(cls, info: SecretStr | None) -> SecretStr | None:
        """Basic auth needs ``user:password``; the value is never shown."""
        if info is not None and ":" not in info.get_secret_value().strip(":"):
            raise ValueError("must be user:password")
        return info

    @model_validator(mode="after")
    def _one_way_each(self) -> RuntimeConfig:
        """Two settings for one thing: which was meant cannot be known."""
        pairs = (
            ("topic_retention_ms", "topic_retention_days"),
            ("schema_registry_user_info", "schema_registry_bearer_token"),
        )
        for first, second in pairs:
            if getattr(self, first) is not None and getattr(self, second) is not None:
                names = f"{ENV_PREFIX}{first.upper()} and {ENV_PREFIX}{second.upper()}"
                raise ConfigurationError(f"{names} are both set: set only one of them")
        return self

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        """Each secret whose ``_FILE`` variable is set, from that file. The variable itself set as well is
        refused: which of the two was meant cannot be known. An empty variable counts as unset."""
        if not isinstance(data, dict):
            return data
        for name in _SECRETS:
            plain = f"{ENV_PREFIX}{name.upper()}"
            variable, path = f"{plain}_FILE", os.environ.get(f"{plain}_FILE")
            if not path:
                continue
            if os.environ.get(plain):
                raise ConfigurationError(f"{plain} and {variable} are both set: set only one of them")
            if not data.get(name):  # a value passed in code (the demo's stack) still wins
                data[name] = read_secret_file(variable, path)
        return data


def _long_enough(secret: SecretStr | None, minimum: int, what: str, hint: str = "") -> SecretStr | None:
    """An empty secret is none; one shorter than ``minimum`` is refused, its value never shown."""
    if secret is None or not secret.get_secret_value():
        return None
    if len(secret.get_secret_value()) < minimum:
        raise ValueError(f"too short: {what} needs at least {minimum} characters{hint}")
    return secret


def read_secret_file(variable: str, path: str) -> str:
    """The secret in the file ``variable`` names; a one-line ``ConfigurationError`` when it cannot be read.

    The message names the variable only: a secret pasted into a ``_FILE`` variable by mistake is the path.
    """
    try:
        with open(path, encoding="utf-8") as secret:
            return secret.read().strip()
    except (OSError, UnicodeDecodeError) as unreadable:
        reason = (unreadable.strerror or type(unreadable).__name__) if isinstance(unreadable, OSError) else "not UTF-8"
        raise ConfigurationError(f"{variable}: cannot read the file it names ({reason})") from None


def topic(config: RuntimeConfig, logical: str) -> str:
    """The physical topic name of a logical one such as ``pics.learner``."""
    return config.topic_prefix + logical


def group_id(config: RuntimeConfig, side: str) -> str:
    """The consumer group of a side: ``push`` consumes pics.* as PICS_SYNC_KAFKA_GROUP_ID, ``pull`` (the
    PICS updaters) consumes sa.* as that name with ``-updaters`` after it."""
    return config.kafka_group_id if side == "push" else f"{config.kafka_group_id}-updaters"


@dataclass(frozen=True)
class TopicLayout:
    """How the topics pics-sync creates are laid out, and how long they keep events."""

    partitions: int = TOPIC_PARTITIONS
    replication_factor: int = TOPIC_REPLICATION_FACTOR
    retention_ms: int = TOPIC_RETENTION_DAYS * _DAY_MS  # -1: for ever
    cleanup_policy: str = TOPIC_CLEANUP_POLICY


def topic_layout(config: RuntimeConfig) -> TopicLayout:
    """The ``PICS_SYNC_TOPIC_*`` settings as a ``TopicLayout``."""
    return TopicLayout(
        config.topic_partitions, config.topic_replication_factor, config.topic_retention, config.topic_cleanup_policy
    )


def kafka_settings(config: RuntimeConfig) -> dict[str, Any]:
    """The librdkafka settings every client of this configuration shares: bootstrap and security."""
    settings: dict[str, Any] = {
        "bootstrap.servers": config.kafka_bootstrap_servers,
        "security.protocol": config.kafka_security_protocol,
    }
    optional = {
        "sasl.mechanism": config.kafka_sasl_mechanism,
        "sasl.username": config.kafka_sasl_username,
        "sasl.password": config.kafka_sasl_password,
        "ssl.ca.location": config.kafka_ssl_ca_location,
        "ssl.certificate.location": config.kafka_ssl_certificate_location,
        "ssl.key.location": config.kafka_ssl_key_location,
        "ssl.key.password": config.kafka_ssl_key_password,
    }
    for name, value in optional.items():
        if value is not None:
            settings[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return settings


def known_variables() -> frozenset[str]:
    """Every ``PICS_SYNC_*`` name the program reads: the settings, the secrets' ``_FILE`` forms, the rest."""
    settings = {f"{ENV_PREFIX}{name.upper()}" for name in RuntimeConfig.model_fields}
    files = {f"{ENV_PREFIX}{name.upper()}_FILE" for name in _SECRETS}
    return frozenset(settings | files | _READ_ELSEWHERE)


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One line per ``PICS_SYNC_*`` variable set that nothing reads, naming the nearest valid one.

    A misspelt name (``PICS_SYNC_KAFKA_BOOSTRAP_SERVERS``) would otherwise be ignored and its default used.
    """
    known = known_variables()
    lines = []
    # Upper-cased as pydantic-settings reads them: case does not matter to it.
    for name in sorted(n for n in environ if n.upper().startswith(ENV_PREFIX) and n.upper() not in known):
        nearest = difflib.get_close_matches(name.upper(), known, n=1)
        lines.append(f"{name}: not a pics-sync variable" + (f"; did you mean {nearest[0]}?" if nearest else ""))
    return lines


def load_config(**overrides: Any) -> RuntimeConfig:
    """Build the configuration, turning every invalid value and unknown variable into one readable line."""
    unknown = unknown_variables(os.environ)
    if unknown:
        raise ConfigurationError("invalid configuration:\n" + "\n".join(unknown))
    try:
        return RuntimeConfig(**overrides)
    except ValidationError as invalid:
        lines = [f"{ENV_PREFIX}{'.'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in invalid.errors()]
        raise ConfigurationError("invalid configuration:\n" + "\n".join(lines)) from None
