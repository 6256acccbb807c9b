"""The operator's console in a real headless Chromium, on the real broker, PostgreSQL and SA sandbox.

Contract: the overview shows the ledger's applied count and the DLQ's parked count as the database
holds them; the parked events page lists each with its reason and learner, with Redrive and Discard
disabled until the operator signs in with the console token; a redrive before the cause is fixed
(here a rule that raises for the learner, as a bug would) leaves the events parked and says why;
once it is fixed, Redrive from the page applies the learner's events in order and they leave the
parked list; the learner's timeline then shows the SA link and the applied events; Discard deletes
an event parked for an unknown completion status (A1) only once confirmed; a learner edited by hand
in SA and repaired by a reconcile (D1) shows on the Drift page (D3), reached from the navigation, as
a bar of its chart and a record whose link opens the learner's timeline with the repair under its
event; the overview's charts (lag, throughput, parked) are drawn from the console's samples with the
figures the database holds, a learner page says whether the learner is in sync and why not, and on a
390 px phone no page scrolls sideways; no learner's name or e-mail address appears on any page.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from consumers.metrics import Metrics
from consumers.producer import EventProducer
from consumers.service import Service
from consumers.web import health
from consumers.web.app import build_app
from consumers.web.auth import ConsoleAuth
from consumers.web.console import Console
from consumers.web.samples import Samples
from consumers.web.server import HttpServer
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.serde import new_event
from sync_core.state.links import LinkRepository
from sync_core.state.settings_repo import SettingsRepository
from tests.learners import BEHIND, FAULT, parking_on_unknown_status, rule_raising_for, send
from tests.learners import new_learner as learner

pytestmark = pytest.mark.integration

TOKEN = "console-token-for-the-browser-test"
SAMPLE_S = 0.5  # the charts' sampling in the test (a minute in production)
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
PUSH_SETTINGS = {"Integration Enabled": "on", "Update Learner Demographics Mode": "Push PICS Data to Smart Assessor"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def console(service: Service) -> Iterator[str]:
    """The console on this test's service, on a loopback port of its own; yields its base URL."""
    with serving(Console(service, ConsoleAuth(SecretStr(TOKEN)))) as url:
        yield url


@pytest.fixture
def sampled_console(service: Service) -> Iterator[str]:
    """The console as ``run`` serves it, its charts sampled every ``SAMPLE_S`` instead of every minute."""
    console = Console(service, ConsoleAuth(SecretStr(TOKEN)), samples=Samples(every_s=SAMPLE_S))
    with serving(console) as url, console.sampling():
        yield url


@contextmanager
def serving(console: Console) -> Iterator[str]:
    readiness = health.Readiness({"database": health.database(console.pool)})
    app = build_app(Metrics(CollectorRegistry()), readiness, console)
    with HttpServer(app, "127.0.0.1", free_port()).start() as server:
        yield server.url


def scalar(service: Service, query: str) -> int:
    with service.pool.connection() as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def link_in_sa(service: Service, record: dict[str, Any]) -> str:
    """The learner is enrolled in SA after all, and linked as the consumer would link it."""
    created = service.sa.create_learner(
        {"misId": record["learner_ident"], "firstName": record["first_name"], "surname": record["surname"]}
    )
    LinkRepository(service.pool).link("learner", record["learner_ident"], str(created["id"]))
    return str(created["id"])


def edit(producer: EventProducer, record: dict[str, Any], email: str) -> None:
    event = new_event("LearnerEdited", {"learner": {**record, "email": email}}, changed_fields=["email"])
    producer.send("pics.learner", record["learner_ident"], event)


def text(browser: webdriver.Chrome, css: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, css).text)


def wait_for(browser: webdriver.Chrome, predicate: Callable[[webdriver.Chrome], Any], timeout: float = 90) -> Any:
    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(predicate)


def test_overview_counts_and_redrive_from_the_page(  # noqa: PLR0915 - one user story, page by page
    browser: webdriver.Chrome, console: str, service: Service, producer: EventProducer, drain: Callable[[], Tally]
) -> None:
    """The overview matches the database; a parked learner is redriven from the page once its cause is fixed, and leaves the list."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    known, unknown = learner(21, "L-WEB-KNOWN"), learner(22, "L-WEB-PARKED")
    link_in_sa(service, known)
    link_in_sa(service, unknown)
    with rule_raising_for(service, "L-WEB-PARKED"):
        edit(producer, known, "known1@example.org")
        edit(producer, known, "known2@example.org")
        edit(producer, unknown, "first@example.org")
        edit(producer, unknown, "second@example.org")
        producer.flush()
        drain()
        applied = scalar(service, "SELECT count(*) FROM sync.processed_events WHERE outcome = 'applied'")
        parked = scalar(service, "SELECT count(*) FROM sync.parked_events")
        assert (applied, parked) == (2, 2)

        browser.get(console + "/")
        assert (text(browser, "#applied-total"), text(browser, "#parked-now")) == (str(applied), str(parked))
        assert "2 parked event(s)" in text(browser, "#attention")
        no_personal_data(browser, known, unknown)

        browser.get(console + "/parked")
        rows = browser.find_elements(By.CSS_SELECTOR, "#parked tr[id^=parked-]")
        assert [row.find_element(By.CSS_SELECTOR, "td:nth-child(3)").text for row in rows] == ["L-WEB-PARKED"] * 2
        assert FAULT in rows[0].text and BEHIND in rows[1].text
        assert all(not b.is_enabled() for b in browser.find_elements(By.CSS_SELECTOR, "button.redrive, button.discard"))
        no_personal_data(browser, known, unknown)

        sign_in(browser, console)
        redrive_first(browser)
        assert f"parked again: {FAULT}; 2 still parked" in text(browser, "#message")
        assert text(browser, "#parked-count") == "2 parked event(s)"

    redrive_first(browser)  # the bug is fixed
    assert text(browser, "#message") == "L-WEB-PARKED: redriven 2 (applied 2)"
    assert text(browser, "#parked-count") == "0 parked event(s)"
    assert scalar(service, "SELECT count(*) FROM sync.parked_events") == 0

    browser.get(console + "/learner?key=L-WEB-PARKED")
    assert "Smart Assessor id:" in text(browser, "#link") and "not linked" not in text(browser, "#link")
    outcomes = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#timeline tr td:nth-child(3)")]
    assert outcomes == ["applied", "applied"]
    no_personal_data(browser, known, unknown)

    browser.get(console + "/")
    assert text(browser, "#applied-total") == "4" and text(browser, "#parked-now") == "0"

    browser.get(console + "/settings")
    assert "Integration Enabled on" in text(browser, "#settings")


def test_discard_from_the_page_after_confirming(
    browser: webdriver.Chrome, console: str, service: Service, producer: EventProducer, drain: Callable[[], Tally]
) -> None:
    """A1: Discard asks for confirmation, then deletes the parked event for good; cancelling keeps it."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    send(producer, "L-WEB-DISCARD", parking_on_unknown_status(service, learner(23, "L-WEB-DISCARD")))
    drain()
    browser.delete_all_cookies()
    browser.get(console + "/parked")
    sign_in(browser, console)
    browser.find_element(By.CSS_SELECTOR, "#parked button.discard").click()
    browser.switch_to.alert.dismiss()
    assert text(browser, "#parked-count") == "1 parked event(s)"
    browser.find_element(By.CSS_SELECTOR, "#parked button.discard").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#message"))
    assert text(browser, "#message").startswith("discarded parked event")
    assert scalar(service, "SELECT count(*) FROM sync.parked_events") == 0


def test_drift_page_shows_a_repair_and_leads_to_the_learners_timeline(
    browser: webdriver.Chrome, console: str, service: Service, producer: EventProducer, drain: Callable[[], Tally]
) -> None:
    """D1, D3: a reconcile repairs a learner SA holds only the name of; the Drift page charts and lists the pushed
    fields, and the record's link opens the learner's timeline, which shows the repair under its event."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    record = learner(24, "L-WEB-DRIFT")
    held = service.sa.create_learner({"misId": "L-WEB-DRIFT", "firstName": record["first_name"],
                                      "surname": record["surname"]})  # fmt: skip
    LearnerRepository(service.pool).upsert([{**record, "smart_assessor_id": held["id"]}])
    producer.send("pics.learner", "L-WEB-DRIFT", new_event("ReconcileRequested", {"learner_ident": "L-WEB-DRIFT",
                  "run_id": None}))  # fmt: skip
    producer.flush()
    assert drain().count(Kind.APPLIED) == 1
    assert service.sa.get_learner(held["id"])["email"] == record["email"]

    browser.get(console + "/")
    browser.find_element(By.CSS_SELECTOR, "#nav-drift").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#drift-chart"))
    assert text(browser, "#drift-run").startswith("no run: refreshes")
    bar = browser.find_element(By.CSS_SELECTOR, '#drift-chart g[id="bar-learner.email"]')
    assert bar.find_element(By.CSS_SELECTOR, "rect.repaired").size["width"] > 0  # drawn, not only in the markup
    email = next(row for row in browser.find_elements(By.CSS_SELECTOR, "#drift-records tr[id^=drift-]")
                 if row.find_element(By.CSS_SELECTOR, "td:nth-child(7)").text == "email")  # fmt: skip
    assert [email.find_element(By.CSS_SELECTOR, f"td:nth-child({n})").text for n in (3, 4, 8, 9)] == [
        "L-WEB-DRIFT", "learner", "push", "pushed"
    ]  # fmt: skip
    no_personal_data(browser, record)

    email.find_element(By.CSS_SELECTOR, "a.learner").click()
    wait_for(browser, lambda b: b.current_url == console + "/learner?key=L-WEB-DRIFT")
    repairs = browser.find_element(By.CSS_SELECTOR, "#timeline tr.repairs")
    assert "learner email: push, pushed" in repairs.text
    assert "ReconcileRequested" in text(browser, "#timeline")
    no_personal_data(browser, record)


def sign_in(browser: webdriver.Chrome, console: str) -> None:
    """Follow the page's sign-in link, give the token, and come back to the parked events with the buttons live."""
    browser.find_element(By.CSS_SELECTOR, "#sign-in").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#token"))
    browser.find_element(By.CSS_SELECTOR, "#token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#sign-in-button").click()
    wait_for(browser, lambda b: b.current_url == console + "/parked" and b.find_elements(By.CSS_SELECTOR, "#sign-out"))
    assert all(b.is_enabled() for b in browser.find_elements(By.CSS_SELECTOR, "button.redrive"))


def redrive_first(browser: webdriver.Chrome) -> None:
    """Press the first parked event's Redrive and wait for the page that reports it."""
    browser.find_element(By.CSS_SELECTOR, "#parked button.redrive").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#message"))


def no_personal_data(browser: webdriver.Chrome, *records: dict[str, Any]) -> None:
    """The page shows learners by ident only: no name, no e-mail address."""
    page = browser.page_source
    for record in records:
        for field in ("first_name", "surname", "email"):
            assert not record[field] or record[field] not in page, f"{field} shown"
    assert "example.org" not in page


def test_charts_in_sync_indicator_and_a_phones_width(
    browser: webdriver.Chrome, sampled_console: str, service: Service, producer: EventProducer,
    drain: Callable[[], Tally],
) -> None:  # fmt: skip
    """The overview charts live samples (the DLQ's count as the database holds it, the events applied a minute);
    a learner page says in sync, or not and why (a parked event); at 390 px no page overflows sideways."""
    console = sampled_console
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    well, stuck = learner(25, "L-WEB-WELL"), learner(26, "L-WEB-STUCK")
    link_in_sa(service, well)
    link_in_sa(service, stuck)
    with rule_raising_for(service, "L-WEB-STUCK"):
        for n in range(3):
            edit(producer, well, f"well{n}@example.org")
        edit(producer, stuck, "stuck@example.org")
        producer.flush()
        drain()
    parked = scalar(service, "SELECT count(*) FROM sync.parked_events")
    assert parked == 1

    wait_for(browser, lambda b: samples_drawn(b, console, parked))
    assert text(browser, "#latest-parked-dlq") == text(browser, "#parked-now") == str(parked)
    assert text(browser, "#latest-lag-push") == text(browser, "#lag-push") == "0"  # drained and committed
    assert rose(browser, "#chart-throughput", "applied"), "the three edits drew no rate above 0"
    assert browser.find_element(By.CSS_SELECTOR, "#chart-lag polyline").size["width"] > 0  # drawn, not only markup
    no_personal_data(browser, well, stuck)

    in_sync_indicators(browser, console)
    no_personal_data(browser, well, stuck)
    fits_a_phone(browser, console, ("/", "/parked", "/learner?key=L-WEB-STUCK", "/drift", "/settings"))


def in_sync_indicators(browser: webdriver.Chrome, console: str) -> None:
    """A learner whose events went through is in sync; one with a parked event is not, and says so; one never
    linked is not in SA."""
    browser.get(console + "/learner?key=L-WEB-WELL")
    assert text(browser, "#in-sync-label") == "in sync"
    browser.get(console + "/learner?key=L-WEB-STUCK")
    assert text(browser, "#in-sync-label") == "not in sync"
    failed = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#in-sync-checks li.failed")]
    assert failed[0] == "✗ nothing parked: 1 event(s) parked: later events of this learner park behind"
    assert failed[1].startswith("✗ last events went through: LearnerEdited on ") and failed[1].endswith(
        f"pics.learner was parked: {FAULT}"
    )
    assert len(failed) == 2
    browser.get(console + "/learner?key=L-WEB-NEVER")
    assert text(browser, "#in-sync-label") == "not in Smart Assessor"


def fits_a_phone(browser: webdriver.Chrome, console: str, pages: tuple[str, ...]) -> None:
    """On a 390 px phone (the viewport meta honoured) the body never scrolls sideways: wide tables scroll inside."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        for page in pages:
            browser.get(console + page)
            width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert (inner, width <= inner) == (390, True), f"{page} is {width} px wide on a 390 px screen"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def rose(browser: webdriver.Chrome, chart: str, line: str) -> bool:
    """Does the line reach above the chart's 0 anywhere?"""
    points = [p for run in browser.find_elements(By.CSS_SELECTOR, f"{chart}-{line} polyline")
              for p in run.get_attribute("points").split()]  # fmt: skip
    bottom = max(float(grid.get_attribute("y1")) for grid in browser.find_elements(By.CSS_SELECTOR, f"{chart} line"))
    return min(float(p.split(",")[1]) for p in points) < bottom


def samples_drawn(browser: webdriver.Chrome, console: str, parked: int) -> bool:
    """Load the overview: are its charts drawn from at least three samples, the newest taken once the events were
    parked and their offsets committed?"""
    browser.get(console + "/")
    lines = browser.find_elements(By.CSS_SELECTOR, "#chart-parked polyline")
    points = sum(len(line.get_attribute("points").split()) for line in lines)
    latest = [
        e.text
        for css in ("#latest-parked-dlq", "#latest-lag-push")
        for e in browser.find_elements(By.CSS_SELECTOR, css)
    ]
    return points >= 3 and latest == [str(parked), "0"]
