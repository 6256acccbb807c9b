"""The Avro schemas shipped in the ``schemas`` package, parsed once.

``schemas/*.avsc`` is the current contract; ``schemas/history/v<n>/*.avsc`` keeps every released
version, so data written by an old producer can be resolved against the newest reader schema. Each
file holds one named type and is called ``<fullname>.avsc``: that is how fastavro's ``load_schema``
finds a referenced type in the same directory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from fastavro.repository import AbstractSchemaRepository, SchemaRepositoryError
from fastavro.schema import fingerprint, load_schema, parse_schema, to_parsing_canonical_form

SCHEMA_PACKAGE = "schemas"
SUFFIX = ".avsc"

ParsedSchema = dict[str, Any]
"""A schema as ``fastavro.parse_schema`` returns it: named references inlined, ready to use."""

Schemas = dict[str, ParsedSchema]
"""Parsed schemas by record fullname."""


class _PackageRepository(AbstractSchemaRepository):
    """Serves ``<fullname>.avsc`` from one package directory, also when the package is zipped."""

    def __init__(self, directory: Traversable) -> None:
        self._directory = directory

    def load(self, name: str) -> Any:
        """Returns the JSON of the schema called ``name``."""
        try:
            return json.loads((self._directory / f"{name}{SUFFIX}").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaRepositoryError(f"cannot load schema {name!r}") from exc


def load_directory(directory: Traversable) -> Schemas:
    """Parses every ``.avsc`` of one directory, each with the others it references."""
    repository = _PackageRepository(directory)
    parsed: Schemas = {}
    for entry in sorted(directory.iterdir(), key=lambda entry: entry.name):
        if not entry.name.endswith(SUFFIX):
            continue
        name = entry.name.removesuffix(SUFFIX)
        schema = load_schema(name, repo=repository)
        # A misnamed file would load here but break every schema that references it by name.
        if not isinstance(schema, dict) or schema.get("name") != name:
            raise ValueError(f"{entry.name} must define the named type {name}")
        parsed[name] = schema
    return parsed


def current_schemas() -> Schemas:
    """The current contract: every schema directly under ``schemas/``."""
    return load_directory(files(SCHEMA_PACKAGE))


def history_schemas() -> dict[int, Schemas]:
    """Every released version under ``schemas/history/v<n>/``, oldest first."""
    history = files(SCHEMA_PACKAGE) / "history"
    versions = {
        int(entry.name[1:]): entry
        for entry in history.iterdir()
        if entry.is_dir() and entry.name[:1] == "v" and entry.name[1:].isdigit()
    }
    return {version: load_directory(versions[version]) for version in sorted(versions)}


def _raw(record: str) -> dict[str, Any]:
    """The JSON of the current schema file of ``record``, references not inlined."""
    schema: dict[str, Any] = json.loads((files(SCHEMA_PACKAGE) / f"{record}{SUFFIX}").read_text(encoding="utf-8"))
    return schema


def union_branches(record: str) -> tuple[str, ...]:
    """Fullnames of the records in the ``event`` union of the current topic record ``record``."""
    schema = _raw(record)
    namespace = schema.get("namespace") or record.rpartition(".")[0]
    event = next(field for field in schema["fields"] if field["name"] == "event")
    branches = event["type"] if isinstance(event["type"], list) else [event["type"]]
    names = (branch if isinstance(branch, str) else branch["name"] for branch in branches)
    return tuple(name if "." in name else f"{namespace}.{name}" for name in names)


def field_default(record: str, field: str) -> Any:
    """The default of field ``field`` of the current record ``record``; KeyError when it has none."""
    for entry in _raw(record)["fields"]:
        if entry["name"] == field and "default" in entry:
            return entry["default"]
    raise KeyError(f"{record} has no field {field!r} with a default")


def parse_record(schema: Mapping[str, Any]) -> ParsedSchema:
    """Parses a self-contained record schema, e.g. one fetched from a schema registry."""
    parsed = parse_schema(dict(schema))
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        raise ValueError("not an Avro record schema")
    return parsed


def fingerprint_of(schema: ParsedSchema) -> str:
    """The CRC-64-AVRO fingerprint of the schema's parsing canonical form, in hex.

    fastavro writes the hex digits in the byte order of the Avro single-object header (little
    endian), so ``bytes.fromhex`` of it is what goes on the wire.
    """
    return str(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


def plain(schema: Any) -> Any:
    """The schema without fastavro's bookkeeping keys, as JSON a schema registry accepts."""
    if isinstance(schema, dict):
        return {key: plain(value) for key, value in schema.items() if not key.startswith("__")}
    if isinstance(schema, list):
        return [plain(item) for item in schema]
    return schema
