"""The link repository's memory: bounded by PICS_SYNC_LINKS_CACHE_SIZE, least recently used forgotten first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from psycopg_pool import ConnectionPool

from sync_core.config import load_config
from sync_core.errors import ConfigurationError
from sync_core.lru import Lru
from sync_core.state.links import LinkRepository


class FakeLinksTable:
    """``sync.links`` behind a pool-shaped object that counts the reads that reach it."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], str] = {}
        self.reads = 0

    @contextmanager
    def connection(self) -> Iterator[FakeLinksTable]:
        yield self

    def execute(self, sql: str, params: tuple[str, ...]) -> FakeLinksTable:
        if sql.startswith("SELECT"):
            self.reads += 1
            self._found = self.rows.get((params[0], params[1]))
        else:
            entity, pics_id, sa_id = params
            self.rows[(entity, pics_id)] = sa_id
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return None if self._found is None else (self._found,)


def repository(table: FakeLinksTable, size: int) -> LinkRepository:
    return LinkRepository(cast(ConnectionPool, table), size)


def test_memory_holds_at_most_the_configured_number_of_links() -> None:
    """Linking and reading many more records than the cache size keeps only that many in memory; answers stay right."""
    table, size = FakeLinksTable(), 50
    links = repository(table, size)
    for n in range(1_000):
        links.link("learner", f"L{n}", f"g{n}")
    assert links.remembered == size
    assert all(links.sa_id("learner", f"L{n}") == f"g{n}" for n in range(1_000))
    assert links.remembered == size


def test_a_recently_used_link_is_kept_and_the_oldest_asked_again() -> None:
    """The least recently used link is the one forgotten: it costs one read; a link just used costs none."""
    table = FakeLinksTable()
    links = repository(table, 2)
    links.link("learner", "A", "gA")
    links.link("learner", "B", "gB")
    links.sa_id("learner", "A")  # A is now more recent than B
    links.link("employer", "C", "7")  # B goes
    reads = table.reads
    assert (links.sa_id("learner", "A"), table.reads) == ("gA", reads)
    assert (links.sa_id("learner", "B"), table.reads) == ("gB", reads + 1)


def test_an_absent_link_is_never_remembered() -> None:
    """ "No link yet" is asked again every time: another worker may make the link at any moment."""
    table = FakeLinksTable()
    links = repository(table, 10)
    assert links.sa_id("learner", "X") is None
    table.rows[("learner", "X")] = "gX"
    assert links.sa_id("learner", "X") == "gX"


def test_size_zero_keeps_nothing() -> None:
    """PICS_SYNC_LINKS_CACHE_SIZE=0: every lookup reads the table."""
    table = FakeLinksTable()
    links = repository(table, 0)
    links.link("learner", "A", "gA")
    links.sa_id("learner", "A")
    links.sa_id("learner", "A")
    assert (links.remembered, table.reads) == (0, 2)


def test_the_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """PICS_SYNC_LINKS_CACHE_SIZE sets the bound; its default is 10,000; a negative size is refused."""
    assert load_config().links_cache_size == 10_000
    monkeypatch.setenv("PICS_SYNC_LINKS_CACHE_SIZE", "250")
    assert load_config().links_cache_size == 250
    monkeypatch.setenv("PICS_SYNC_LINKS_CACHE_SIZE", "-1")
    with pytest.raises(ConfigurationError, match="PICS_SYNC_LINKS_CACHE_SIZE"):
        load_config()


def test_lru_order() -> None:
    """Reading or writing an entry makes it the most recent; the least recent goes first."""
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c"), len(lru)) == (1, None, 3, 2)
