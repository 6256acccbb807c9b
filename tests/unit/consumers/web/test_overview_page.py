"""The overview's tiles say what each counts, and every page fits a phone's width (viewport meta)."""

from __future__ import annotations

import re

from consumers.web.overview import TILES
from tests.unit.consumers.web.console_app import Browser, app_of, console


def test_the_two_parked_figures_are_named_apart() -> None:
    """The ledger's parked tile (events by id) and the DLQ's (messages waiting now) each say what they count."""
    page = Browser(app_of(console())).get("/").text
    tiles = dict(re.findall(r'<div class="tile" id="tile-([a-z]+)">\s*([^<]+)<b', page))
    assert tiles == {"applied": "applied", "skipped": "skipped", "parked": "parked, by event id",
                     "dlq": "waiting in the DLQ now"}  # fmt: skip
    assert all(note in page for _, note in TILES.values())
    assert "with an event id or not, those parked behind included" in page


def test_every_page_declares_the_viewport() -> None:
    """Without it a phone lays the page out 980 px wide and shrinks it; with it, tables scroll instead."""
    page = Browser(app_of(console())).get("/login").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
