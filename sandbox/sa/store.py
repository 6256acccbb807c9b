"""In-memory tables of SA records (JSON-ready dicts) with unique and searchable keys.

The sandbox serves every request on one event loop and no table method awaits, so a
method's check-then-write cannot interleave with another request's.

A table can hand out a removed record as a ``Row`` (the record and its place in the oldest-first
order) and take it back in that place, and can copy itself whole into a ``TableImage`` (its rows and
its id counter) and be loaded from one, as a database is backed up and restored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

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


class Row(NamedTuple):
    """A record and its place in its table's oldest-first order."""

    arrival: int
    record: Record


@dataclass(frozen=True)
class TableImage:
    """A copy of a whole table: its rows, oldest first, and where its numbering had got to."""

    rows: tuple[Row, ...]
    next_id: int
    next_arrival: int


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
        self._next_id = first_id
        self._next_arrival = 0
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
            record = {"id": self._next_id, **record}
            self._next_id += 1
        self._store(Row(self._next_arrival, record))
        self._next_arrival += 1
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
        self.remove(record_id)

    def remove(self, record_id: Any) -> Row:
        """Forget the record with this id and hand it out with its place, for ``put_back``."""
        record = self._records.pop(record_id)
        arrival = self._order.pop(record_id)
        self._remove_from_index(record)
        return Row(arrival, record)

    def clash(self, record: Record) -> str | None:
        """``"id"`` or the unique key under which another record holds this one's value; None if it fits."""
        if record["id"] in self._records:
            return "id"
        return self._taken_key(record, record["id"])

    def put_back(self, rows: Iterable[Row]) -> None:
        """Store removed rows again, each under its id and in its old place (check ``clash`` first)."""
        for row in rows:
            key = self.clash(row.record)
            if key is not None:
                raise DuplicateKey(key)
            self._store(row)
        self._records = dict(sorted(self._records.items(), key=lambda item: self._order[item[0]]))

    def image(self) -> TableImage:
        """A copy of every row and of the id counter, which later writes to the table leave alone."""
        rows = tuple(Row(self._order[record_id], _copied(r)) for record_id, r in self._records.items())
        return TableImage(rows, self._next_id, self._next_arrival)

    def load(self, image: TableImage) -> None:
        """Hold exactly the rows of ``image`` (copied, so it can be loaded again) and number on from its counter."""
        self.clear()
        for arrival, record in image.rows:
            self._store(Row(arrival, _copied(record)))
        self._next_id, self._next_arrival = image.next_id, image.next_arrival

    def clear(self) -> None:
        """Forget every record and restart the id sequence."""
        self._records.clear()
        self._order.clear()
        self._next_id = self._first_id
        self._next_arrival = 0
        for index in self._index.values():
            index.clear()

    def _store(self, row: Row) -> None:
        record_id = row.record["id"]
        self._records[record_id] = row.record
        self._order[record_id] = row.arrival
        self._add_to_index(row.record)

    def _holders(self, key: str, value: Any) -> set[Any]:
        return self._index[key].get(self._folded(key, value), set())

    def _folded(self, key: str, value: Any) -> Any:
        fold = self._fold.get(key)
        return value if fold is None else fold(value)

    def _check_unique(self, values: Mapping[str, Any], own_id: Any) -> None:
        key = self._taken_key(values, own_id)
        if key is not None:
            raise DuplicateKey(key)

    def _taken_key(self, values: Mapping[str, Any], own_id: Any) -> str | None:
        """The first unique key whose value another record than ``own_id`` holds."""
        return next((key for key in self._unique if key in values and self._holders(key, values[key]) - {own_id}), None)

    def _add_to_index(self, record: Record) -> None:
        for key in self._keys:
            for value in _each(record.get(key)):
                self._index[key][self._folded(key, value)].add(record["id"])

    def _remove_from_index(self, record: Record) -> None:
        for key in self._keys:
            for value in _each(record.get(key)):
                self._holders(key, value).discard(record["id"])


def _copied(record: Record) -> Record:
    """A copy no write to ``record`` reaches: its lists (a group session's ``learnerIds``) copied too."""
    return {key: list(value) if isinstance(value, list) else value for key, value in record.items()}


def _each(value: Any) -> list[Any]:
    """The values a record is indexed under for one key: a list's items, else the value (None: none)."""
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [] if value is None else [value]
