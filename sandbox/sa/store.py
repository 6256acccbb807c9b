"""In-memory tables of SA records (JSON-ready dicts) with unique and searchable keys.

The sandbox serves every request on one event loop and no table method awaits, so a
method's check-then-write cannot interleave with another request's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]


def now_iso() -> str:
    """The current UTC time as SA writes timestamps: ``2025-01-31T09:30:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DuplicateKey(Exception):
    """A record already holds this value of a unique key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class Table:
    """Records by id, with an index per searchable key; ``unique`` keys refuse duplicates."""

    def __init__(self, *, unique: Iterable[str] = (), indexed: Iterable[str] = ()) -> None:
        self._unique = tuple(unique)
        self._keys = self._unique + tuple(indexed)
        self._records: dict[Any, Record] = {}
        self._order: dict[Any, int] = {}
        self._index: dict[str, defaultdict[Any, set[Any]]] = {key: defaultdict(set) for key in self._keys}

    def __len__(self) -> int:
        return len(self._records)

    def all(self) -> list[Record]:
        """Every record, oldest first."""
        return list(self._records.values())

    def get(self, record_id: Any) -> Record | None:
        return self._records.get(record_id)

    def find(self, **criteria: Any) -> list[Record]:
        """The records matching every ``key=value`` given (all records when none), oldest first."""
        if not criteria:
            return self.all()
        ids = set.intersection(*(set(self._index[k].get(v, ())) for k, v in criteria.items()))
        return [self._records[record_id] for record_id in sorted(ids, key=self._order.__getitem__)]

    def insert(self, record: Record) -> Record:
        """Store ``record`` under ``record["id"]``; DuplicateKey if a unique value is taken."""
        self._check_unique(record, None)
        self._records[record["id"]] = record
        self._order[record["id"]] = len(self._order)
        self._add_to_index(record)
        return record

    def update(self, record_id: Any, changes: Mapping[str, Any]) -> Record:
        """Apply ``changes`` to the stored record; DuplicateKey if a unique value is taken."""
        record = self._records[record_id]
        self._check_unique(changes, record_id)
        self._remove_from_index(record)
        record.update(changes)
        self._add_to_index(record)
        return record

    def clear(self) -> None:
        self._records.clear()
        self._order.clear()
        for index in self._index.values():
            index.clear()

    def _check_unique(self, values: Mapping[str, Any], own_id: Any) -> None:
        for key in self._unique:
            holders = self._index[key].get(values.get(key), set()) - {own_id}
            if key in values and holders:
                raise DuplicateKey(key)

    def _add_to_index(self, record: Record) -> None:
        for key in self._keys:
            if record.get(key) is not None:
                self._index[key][record[key]].add(record["id"])

    def _remove_from_index(self, record: Record) -> None:
        for key in self._keys:
            self._index[key].get(record.get(key), set()).discard(record["id"])
