"""In-memory tables of SA records (JSON-ready dicts) with unique and searchable keys.

The sandbox serves every request on one event loop and no table method awaits, so a
method's check-then-write cannot interleave with another request's.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]
Fold = Callable[[Any], Any]


def now_iso() -> str:
    """The current UTC time as SA writes timestamps: ``2025-01-31T09:30:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fold_case(value: Any) -> Any:
    """Compare text case-insensitively (e-mail addresses)."""
    return value.casefold() if isinstance(value, str) else value


def fold_postcode(value: Any) -> Any:
    """Compare postcodes without regard to case or spaces: ``sw1a 1aa`` is ``SW1A1AA``."""
    return "".join(value.split()).upper() if isinstance(value, str) else value


class DuplicateKey(Exception):
    """A record already holds this value of a unique key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class Table:
    """Records by id, with an index per searchable key; ``unique`` keys refuse duplicates.

    An indexed key whose value is a list is indexed under each of its items (a group session's
    ``learnerIds``), so ``find(learnerIds=x)`` finds every record whose list holds ``x``.

    ``fold`` maps a key to how its values compare (``fold_postcode``); ``first_id`` makes the
    table number the records inserted without an id from there, as SA numbers employers and assessors.
    """

    def __init__(
        self,
        *,
        unique: Iterable[str] = (),
        indexed: Iterable[str] = (),
        fold: Mapping[str, Fold] | None = None,
        first_id: int = 1,
    ) -> None:
        self._unique = tuple(unique)
        self._keys = self._unique + tuple(indexed)
        self._fold = dict(fold or {})
        self._first_id = first_id
        self._ids = itertools.count(first_id)
        self._arrivals = itertools.count()
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
        ids = set.intersection(*(set(self._holders(key, value)) for key, value in criteria.items()))
        return [self._records[record_id] for record_id in sorted(ids, key=self._order.__getitem__)]

    def insert(self, record: Record) -> Record:
        """Store ``record`` under ``record["id"]``; DuplicateKey if a unique value is taken.

        A record without ``id`` gets the next number from ``first_id`` (none lost to a refusal).
        """
        self._check_unique(record, None)
        if "id" not in record:
            record = {"id": next(self._ids), **record}
        self._records[record["id"]] = record
        self._order[record["id"]] = next(self._arrivals)
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

    def delete(self, record_id: Any) -> None:
        """Forget the record with this id; its id is not given out again."""
        record = self._records.pop(record_id)
        del self._order[record_id]
        self._remove_from_index(record)

    def clear(self) -> None:
        """Forget every record and restart the id sequence."""
        self._records.clear()
        self._order.clear()
        self._ids = itertools.count(self._first_id)
        self._arrivals = itertools.count()
        for index in self._index.values():
            index.clear()

    def _holders(self, key: str, value: Any) -> set[Any]:
        return self._index[key].get(self._folded(key, value), set())

    def _folded(self, key: str, value: Any) -> Any:
        fold = self._fold.get(key)
        return value if fold is None else fold(value)

    def _check_unique(self, values: Mapping[str, Any], own_id: Any) -> None:
        for key in self._unique:
            if key in values and self._holders(key, values[key]) - {own_id}:
                raise DuplicateKey(key)

    def _add_to_index(self, record: Record) -> None:
        for key in self._keys:
            for value in _each(record.get(key)):
                self._index[key][self._folded(key, value)].add(record["id"])

    def _remove_from_index(self, record: Record) -> None:
        for key in self._keys:
            for value in _each(record.get(key)):
                self._holders(key, value).discard(record["id"])


def _each(value: Any) -> list[Any]:
    """The values a record is indexed under for one key: a list's items, else the value (None: none)."""
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [] if value is None else [value]
