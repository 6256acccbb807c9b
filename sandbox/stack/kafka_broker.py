"""A single-node KRaft Kafka broker, run from Maven-fetched jars, for demo, tests and bench.

No Docker needed: `LocalKafka` runs `kafka.Kafka` from the jars `kafka_jars.ensure_jars` fetched,
on loopback ports as a combined broker and controller, with every replication factor at 1.

    with LocalKafka() as kafka:
        producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})

Given ``sasl_users`` (username → password), the client listener is SASL_PLAINTEXT with SASL/PLAIN
and accepts only those logins; the controller listener stays PLAINTEXT on loopback.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from sandbox.stack.kafka_jars import KAFKA_LOCAL, ensure_jars

_TAIL_LINES = 40
# A test broker on a 2-core box: a small heap and the serial collector leave the cores to the
# code under test, and C1-only JIT starts faster, which tests pay for more often than load.
_JVM_OPTIONS = (
    *("-Xms256m", "-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"),
    # Log4j's own hook races the JVM's shutdown and warns; the file appender flushes anyway.
    "-Dlog4j2.shutdownHookEnabled=false",
    f"-Dlog4j2.configurationFile={KAFKA_LOCAL / 'log4j2.properties'}",
)
# One node is broker and controller. A static one-voter quorum lets `format` do without
# --standalone; internal topics get one replica, since a single node never has three, and
# __consumer_offsets 10 partitions, not 50, which are made in a third of the time.
_SERVER_PROPERTIES = """\
node.id=1
process.roles=broker,controller
listeners={listener}://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners={listener}://127.0.0.1:{port}
listener.security.protocol.map={listener}:{listener},CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name={listener}
controller.quorum.voters=1@127.0.0.1:{controller_port}
log.dirs={log_dirs}
num.partitions={partitions}
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
"""
# Quick reconnects while the broker comes up; librdkafka's own log would only say "refused".
_PROBE_CONFIG: dict[str, str | int | float | bool] = {
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 200,
    "log_level": 0,
}
_PROBE_GROUP = "pics-sync-broker-probe"
# With SASL the broker logs in to its own listener (Kafka requires an inter-broker login even on one
# node, and the readiness probe uses it too) as this user, with a password made per broker.
_BROKER_USER = "pics-sync-broker"
_SASL_PROPERTIES = """\
sasl.enabled.mechanisms=PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas}
"""
# A username is an option name in the JAAS line and a password a quoted value there, so neither may
# hold what would end or escape it (the properties file escapes with backslashes too).
_SASL_USERNAME = re.compile(r"[A-Za-z0-9._-]+")
_SASL_PASSWORD = re.compile(r'[^"\\\s]+')


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise RuntimeError("no java found (JAVA_HOME or PATH); Kafka 4 needs Java 17+")
    return java


def _loopback_ports(port: int | None) -> tuple[int, int]:
    """The broker's port (`port`, or a free one) and a free one for the controller."""
    # Both sockets stay open until both ports are chosen, so the two differ.
    with socket.socket() as broker, socket.socket() as controller:
        broker.bind(("127.0.0.1", 0))
        controller.bind(("127.0.0.1", 0))
        return port or broker.getsockname()[1], controller.getsockname()[1]


def _jaas(users: Mapping[str, str], login: tuple[str, str]) -> str:
    """The PLAIN login module line: the broker's own login, then every user it accepts."""
    for username, password in users.items():
        if not _SASL_USERNAME.fullmatch(username) or not _SASL_PASSWORD.fullmatch(password):
            raise ValueError(f"SASL user {username!r}: a name of letters, digits, '.', '_' or '-', "
                             "and a password without quotes, backslashes or spaces")  # fmt: skip
    accepted = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    module = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return f'{module} required username="{login[0]}" password="{login[1]}" {accepted};'


class LocalKafka:
    """One Kafka process, broker and controller in one, on loopback ports."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        port: int | None = None,
        partitions: int = 6,
        jars_dir: Path | None = None,
        sasl_users: Mapping[str, str] | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._owns_data_dir = data_dir is None
        # Chosen now, so restart() comes back on the same ports.
        self._port, self._controller_port = _loopback_ports(port)
        self._partitions = partitions
        self._jars_dir = jars_dir
        self._process: subprocess.Popen[bytes] | None = None
        self._login = (_BROKER_USER, secrets.token_urlsafe(16))
        # The JAAS line, made now so that a bad username or password fails here rather than in Kafka.
        self._jaas = None if sasl_users is None else _jaas({**sasl_users, _BROKER_USER: self._login[1]}, self._login)

    @property
    def bootstrap_servers(self) -> str:
        """The client listener, as `host:port`."""
        return f"127.0.0.1:{self._port}"

    @property
    def security_protocol(self) -> str:
        """The client listener's protocol: PLAINTEXT, or SASL_PLAINTEXT when made with `sasl_users`."""
        return "PLAINTEXT" if self._jaas is None else "SASL_PLAINTEXT"

    def start(self, timeout: float = 90.0) -> str:
        """Format the storage if new, start the broker and wait until it answers."""
        if self._process is not None:
            return self.bootstrap_servers
        jars = ensure_jars(self._jars_dir)
        config = self._write_config()
        atexit.register(self.stop)
        try:
            if not (config.parent / "kraft" / "meta.properties").exists():
                self._format_storage(jars, config)
            self._spawn(jars, config)
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop(timeout=10.0)
            raise
        return self.bootstrap_servers

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL) and remove a data dir this object made."""
        atexit.unregister(self.stop)
        self._terminate(timeout)
        if self._owns_data_dir and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    def restart(self) -> None:
        """Stop and start again on the same ports and data, as a broker restart does."""
        self._terminate(timeout=30.0)
        self.start()

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _write_config(self) -> Path:
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="pics-sync-kafka-"))
        self._data_dir.mkdir(parents=True, exist_ok=True)
        ports = {"port": self._port, "controller_port": self._controller_port}
        log_dirs = self._data_dir / "kraft"
        text = _SERVER_PROPERTIES.format(
            **ports, listener=self.security_protocol, log_dirs=log_dirs, partitions=self._partitions
        )
        if self._jaas is not None:
            text += _SASL_PROPERTIES.format(jaas=self._jaas)
        path = self._data_dir / "server.properties"
        path.write_text(text)
        return path

    def _java_command(self, jars: Path, *args: str) -> list[str]:
        logs_dir = f"-Dkafka.logs.dir={self._data_dir}"
        return [_java(), *_JVM_OPTIONS, logs_dir, "-cp", f"{jars}/*", *args]

    def _format_storage(self, jars: Path, config: Path) -> None:
        # Kafka's own Uuid form; passed with "=", as one that starts with "-" looks like an option.
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        command = self._java_command(jars, "kafka.tools.StorageTool", "format", "--config")
        result = _run([*command, str(config), f"--cluster-id={cluster_id}"])
        if result.returncode != 0:
            raise RuntimeError(f"Kafka storage format failed:\n{result.stdout}")

    def _spawn(self, jars: Path, config: Path) -> None:
        with (config.parent / "console.log").open("ab") as console:
            self._process = subprocess.Popen(
                self._java_command(jars, "kafka.Kafka", str(config)),
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, not the broker
            )

    def _wait_until_ready(self, timeout: float) -> None:
        admin = AdminClient(_PROBE_CONFIG | self._probe_login())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"Kafka exited while starting:\n{self._log_tail()}")
            with contextlib.suppress(KafkaException, TimeoutError):
                admin.list_topics(timeout=0.5)
                # Looking a group up makes the broker create and load __consumer_offsets now;
                # a consumer that races that load retries its join only ~3 s later.
                admin.describe_consumer_groups([_PROBE_GROUP])[_PROBE_GROUP].result(timeout=0.5)
                return
            time.sleep(0.05)
        raise RuntimeError(f"Kafka did not answer within {timeout:.0f}s:\n{self._log_tail()}")

    def _probe_login(self) -> dict[str, str | int | float | bool]:
        login: dict[str, str | int | float | bool] = {"bootstrap.servers": self.bootstrap_servers}
        if self._jaas is None:
            return login
        username, password = self._login
        return login | {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                        "sasl.username": username, "sasl.password": password}  # fmt: skip

    def _log_tail(self) -> str:
        logs = [self._data_dir / name for name in ("console.log", "server.log") if self._data_dir]
        texts = [log.read_text(errors="replace") for log in logs if log.exists()]
        lines = [line for text in texts for line in text.splitlines()]
        return "\n".join(lines[-_TAIL_LINES:])

    def _terminate(self, timeout: float) -> None:
        process, self._process = self._process, None
        # SIGTERM lets Kafka close its logs cleanly; SIGKILL only if it outlives `timeout`.
        for signum in (signal.SIGTERM, signal.SIGKILL):
            if process is None or process.poll() is not None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signum)  # its own group: see _spawn
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
