"""The local broker's jars: Kafka's runtime, resolved from ``deploy/kafka-local/pom.xml`` with Maven once.

They land in a per-user cache (or ``$PICS_SYNC_KAFKA_JARS``), fetched beside it and renamed into place,
so an interrupted download never looks complete; ``kafka_broker.LocalKafka`` runs from them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

KAFKA_VERSION = "4.1.1"
KAFKA_LOCAL = Path(__file__).resolve().parents[2] / "deploy" / "kafka-local"  # the repository's deploy/

_TAIL_LINES = 40  # of Maven's output, when it fails


def default_jars_dir() -> Path:
    """Where the broker's jars live: $PICS_SYNC_KAFKA_JARS, else a per-user cache."""
    override = os.environ.get("PICS_SYNC_KAFKA_JARS")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "pics-sync" / f"kafka-{KAFKA_VERSION}" / "libs"


def ensure_jars(jars_dir: Path | None = None) -> Path:
    """Return a directory holding Kafka's runtime jars, fetching them with Maven if absent."""
    target = jars_dir or default_jars_dir()
    if _has_kafka_jar(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Download beside the target and rename, so an interrupted run never looks complete.
    with tempfile.TemporaryDirectory(prefix=".libs-", dir=target.parent) as staging:
        fetched = Path(staging) / "libs"
        _maven_copy_dependencies(fetched)
        if not _has_kafka_jar(target):  # another process may have won the race meanwhile
            fetched.rename(target)  # refused over a non-empty dir, which is not ours to replace
    return target


def _has_kafka_jar(jars_dir: Path) -> bool:
    return any(jars_dir.glob("kafka_2.13-*.jar"))


def _maven_copy_dependencies(output_dir: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn is not on PATH: install Maven 3, or set PICS_SYNC_KAFKA_JARS")
    pom = str(KAFKA_LOCAL / "pom.xml")
    copy = ("dependency:copy-dependencies", "-DincludeScope=runtime")
    command = [mvn, "-q", "-B", "-f", pom, *copy, f"-DoutputDirectory={output_dir}"]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0 or not _has_kafka_jar(output_dir):
        tail = "\n".join(result.stdout.splitlines()[-_TAIL_LINES:])
        raise RuntimeError(f"Maven could not fetch Kafka {KAFKA_VERSION}:\n{tail}")
