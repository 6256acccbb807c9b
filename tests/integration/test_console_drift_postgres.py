"""The console's Drift page, the learner timeline's repairs and the drift metrics, on the real PostgreSQL (D3).

Contract: the Drift page lists the latest daily runs and the runs that found a difference (id, date,
kind, status, differences, repaired), latest first, with "no run" for refreshes and reconciles on
demand; it shows the latest daily run unless ``?run=`` names another (or ``none``), and refuses any
other ``?run=`` with 400. For the run shown: a bar per field in an inline SVG, the counts per entity
and action, and the newest 200 records, each linked to the learner whose record it is or whose event
found it. A learner's timeline shows under each event the differences it found (field, direction,
action), and apart those of its records found by no event listed. The differences recorded through a
``DriftLog`` whose ``on_record`` is the drift metrics show on ``/metrics``. No page shows a value.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from consumers.metrics import DriftMetrics, Metrics
from consumers.service import Service
from consumers.web import health
from consumers.web.app import build_app
from consumers.web.auth import ConsoleAuth
from consumers.web.console import Console
from sandbox.pics.people import Organisations, People
from sync_core.drift.compare import Action, Difference, Direction
from sync_core.outcome import Kind, Outcome, Source
from sync_core.state.drift import DriftLog
from sync_core.state.ledger import Ledger
from sync_core.state.pull_runs import PullRuns
from tests.learners import course, new_learner, store_in_pics
from tests.unit.asgi import AsgiClient

pytestmark = pytest.mark.integration

IDENT, OTHER = "L-DRIFT-PAGE-1", "L-DRIFT-PAGE-2"
QUALIFICATION, ORGANISATION = "Q-DRIFT-PAGE-1", "ORG-DRIFT-PAGE-1"


def found(entity: str, pics_id: str | None, field: str, action: Action, direction: Direction = "push") -> Difference:
    return Difference(entity, f"{entity}:sa-{pics_id}", pics_id, field, direction, action)


def processed(service: Service, key: str, offset: int, event_type: str = "ReconcileRequested") -> str:
    """An event of ``key`` in the ledger, as the consumer records it; its id."""
    event_id = str(uuid.uuid4())
    outcome = Outcome(Kind.APPLIED, event_id=event_id, event_type=event_type)
    assert Ledger(service.pool).record(Source("pics.learner", 0, offset, key), outcome)
    return event_id


@pytest.fixture
def learners(service: Service) -> dict[str, Any]:
    """Two learners in PICS, the first with a qualification and a placement (whose values no page may show)."""
    first, second = new_learner(31, IDENT), new_learner(32, OTHER)
    placement = Organisations(People(31)).organisation(ORGANISATION)
    store_in_pics(service, first, [course(QUALIFICATION)], placement=placement)
    store_in_pics(service, second)
    return {"first": first, "second": second, "placement": placement}


@pytest.fixture
def http(service: Service) -> tuple[AsgiClient, Metrics]:
    """The console's app (and /metrics) on this test's service."""
    metrics = Metrics(CollectorRegistry())
    console = Console(service, ConsoleAuth(SecretStr("t" * 32)))
    return AsgiClient(build_app(metrics, health.Readiness({}), console)), metrics


@pytest.fixture
def runs(service: Service, learners: dict[str, Any], http: tuple[AsgiClient, Metrics]) -> dict[str, Any]:
    """A daily run that found differences, a later one that found none, a learner's pull that found none, and
    refreshes (no run); recorded through the drift metrics, as the consumer records them."""
    pulls, log = PullRuns(service.pool), DriftLog(service.pool, on_record=DriftMetrics(http[1]).observe)
    first = pulls.start(date(2025, 3, 1), "daily", 2)
    reconciled = processed(service, IDENT, 1)
    log.record(first, reconciled, [found("learner", IDENT, "email", "pushed"), found("learner", IDENT, "surname",
               "pushed"), found("enrolment", QUALIFICATION, "startDate", "failed"),
               found("employer", ORGANISATION, "phoneNumber", "pushed")])  # fmt: skip
    log.record(first, None, [found("enrolment", None, "courseId", "reported")])  # an SA enrolment PICS has not (D2)
    later = pulls.start(date(2025, 3, 2), "daily", 2)
    pulls.start(date(2025, 3, 2), f"learner:{OTHER}", 1)
    refreshed = processed(service, OTHER, 2, "RefreshRequested")
    log.record(None, refreshed, [found("learner", OTHER, "firstName", "pulled", "pull")])
    return {"first": first, "later": later, "reconciled": reconciled, "refreshed": refreshed}


def no_value(page: str, *records: dict[str, Any]) -> None:
    """The page names records and fields, never a value of PICS's (or SA's: the drift record holds none)."""
    for record in records:
        for name in ("first_name", "surname", "email", "name", "postcode", "phone_number", "ni_number"):
            value = record.get(name)
            assert not value or str(value) not in page, f"{name} shown"


def rows(page: str, table: str) -> list[list[str]]:
    """The cells' text of a table's rows, tags stripped."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]]  # fmt: skip


def test_d3_the_drift_page_lists_runs_latest_first_and_shows_the_latest_daily_run(
    http: tuple[AsgiClient, Metrics], runs: dict[str, Any], learners: dict[str, Any]
) -> None:
    """D3: the runs, latest first: the daily runs and "no run"; a learner's pull that found nothing is not listed;
    by default the latest daily run is shown, which found nothing."""
    page = http[0].get("/drift")
    assert page.status_code == 200
    listed = rows(page.text, "drift-runs")
    assert [(r[0], r[-2], r[-1]) for r in listed] == [
        ("no run", "1", "1"), (f"run {runs['later']}", "0", "0"), (f"run {runs['first']}", "5", "3")
    ]  # fmt: skip
    assert listed[2][1:4] == ["2025-03-01", "daily", "running"]
    assert f"run {runs['later']}: 0 difference(s)" in page.text and 'id="drift-none"' in page.text
    assert 'class="here" id="nav-drift"' in page.text  # listed in the navigation, as the page shown
    no_value(page.text, *learners.values())


def test_d3_a_run_has_its_chart_counts_and_records_linked_to_their_learner(
    http: tuple[AsgiClient, Metrics], runs: dict[str, Any], learners: dict[str, Any]
) -> None:
    """D3: a bar per field (repaired and failed told apart), counts per entity and action, and each record linked
    to its learner: its own, its qualification's, or the learner whose event found it; none when neither."""
    page = http[0].get(f"/drift?run={runs['first']}").text
    bars = re.findall(r'<g class="bar" id="bar-([^"]+)">', page)
    assert sorted(bars) == ["employer.phoneNumber", "enrolment.courseId", "enrolment.startDate", "learner.email",
                            "learner.surname"]  # fmt: skip
    assert re.search(r'<g class="bar" id="bar-enrolment.startDate">.*?<rect class="failed"', page, re.S)
    assert re.search(r'<g class="bar" id="bar-learner.email">.*?<rect class="repaired"', page, re.S)
    assert rows(page, "drift-counts") == [["employer", "1", "0", "0"], ["enrolment", "0", "1", "1"],
                                          ["learner", "2", "0", "0"]]  # fmt: skip
    assert "<th>pushed</th><th>reported</th><th>failed</th>" in page
    learner_of = {(r[3], r[6]): r[2] for r in rows(page, "drift-records")}
    assert learner_of == {("enrolment", "courseId"): "-", ("employer", "phoneNumber"): IDENT,
                          ("enrolment", "startDate"): IDENT, ("learner", "surname"): IDENT,
                          ("learner", "email"): IDENT}  # fmt: skip
    assert f'<a class="learner" href="/learner?key={IDENT}">{IDENT}</a>' in page
    assert "5 of 5" in page
    no_value(page, *learners.values())


def test_d3_no_run_shows_the_refreshes_and_a_bad_run_is_refused(
    http: tuple[AsgiClient, Metrics], runs: dict[str, Any]
) -> None:
    """D3: ?run=none shows what refreshes recorded; ?run= that is neither an id nor none is 400, naming it."""
    page = http[0].get("/drift?run=none").text
    assert [(r[2], r[3], r[6], r[7], r[8]) for r in rows(page, "drift-records")] == [
        (OTHER, "learner", "firstName", "pull", "pulled")
    ]
    refused = http[0].get("/drift?run=latest")
    assert refused.status_code == 400 and "run &#39;latest&#39; is neither a run id nor &#39;none&#39;" in refused.text


def test_d3_the_newest_200_records_of_a_run_are_listed(
    service: Service, http: tuple[AsgiClient, Metrics], learners: dict[str, Any]
) -> None:
    """D3: a run with more records than the page lists shows the newest 200 and says how many there are."""
    run = PullRuns(service.pool).start(date(2025, 3, 3), "daily", 1)
    DriftLog(service.pool).record(run, None, [found("learner", IDENT, f"field_{i}", "pushed") for i in range(205)])
    page = http[0].get("/drift").text
    listed = rows(page, "drift-records")
    assert len(listed) == 200 and listed[0][6] == "field_204" and listed[-1][6] == "field_5"
    assert "200 of 205 (the newest 200" in page


def test_d3_the_learner_timeline_shows_each_events_repairs_under_it(
    http: tuple[AsgiClient, Metrics], runs: dict[str, Any], learners: dict[str, Any], service: Service
) -> None:
    """D3: under the event that found them, the learner's differences (its own, its qualification's, its
    employer's) with field, direction and action; those of its records found by no listed event apart."""
    DriftLog(service.pool).record(None, None, [found("employer", ORGANISATION, "website", "pushed")])
    page = http[0].get(f"/learner?key={IDENT}").text
    under = page.split(f'id="repairs-{runs["reconciled"]}"', 1)[1].split("</tr>", 1)[0]
    items = [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", under)]
    assert items == [f"employer {ORGANISATION} phoneNumber: push, pushed",
                     f"enrolment {QUALIFICATION} startDate: push, failed", "learner surname: push, pushed",
                     "learner email: push, pushed"]  # fmt: skip
    assert [(r[2], r[3], r[5], r[7]) for r in rows(page, "other-repairs")] == [
        ("employer", ORGANISATION, "website", "pushed")
    ]
    assert "firstName" not in page  # the other learner's
    no_value(page, *learners.values())
    other = http[0].get(f"/learner?key={OTHER}").text
    assert f'id="repairs-{runs["refreshed"]}"' in other and 'id="other-repairs"' not in other


def test_d3_recorded_differences_show_on_metrics(http: tuple[AsgiClient, Metrics], runs: dict[str, Any]) -> None:
    """D3: /metrics counts the differences recorded, found by action and repaired, by entity, field and direction."""
    scraped = http[0].get("/metrics").text
    for line in (
        'pics_sync_drift_differences_total{action="failed",direction="push",entity="enrolment",field="startDate"} 1.0',
        'pics_sync_drift_differences_total{action="reported",direction="push",entity="enrolment",field="courseId"} 1.0',
        'pics_sync_drift_repaired_total{direction="push",entity="learner",field="email"} 1.0',
        'pics_sync_drift_repaired_total{direction="pull",entity="learner",field="firstName"} 1.0',
    ):
        assert line in scraped
    assert 'pics_sync_drift_repaired_total{direction="push",entity="enrolment",field="startDate"}' not in scraped
    assert IDENT not in scraped and QUALIFICATION not in scraped
