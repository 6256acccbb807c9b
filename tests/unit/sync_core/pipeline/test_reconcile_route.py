"""A reconcile request plans from PICS's record as it is when processed (D5): R1 for a learner, G1 / O1 for an
organisation / officer; a refresh and a reconcile run against SA."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from sync_core import clock
from sync_core.drift.compare import Difference
from sync_core.errors import SaNotFound
from sync_core.execute import executor
from sync_core.faults import no_fault
from sync_core.fencing import UNFENCED
from sync_core.outcome import Kind, Outcome, Source
from sync_core.pipeline.admission import LIVE, NOTHING_KNOWN
from sync_core.pipeline.process import Delivery, PipelinePorts, process
from sync_core.pipeline.routes import Rule
from sync_core.plan import Plan, Update
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.serde import AvroSerde, new_event
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.sync_core.rules.builders import learner, officer, organisation

SETTINGS = IntegrationSettings(integration_enabled=True, learner_mode=Mode.PUSH)
OCCURRED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# PICS's record now: edited since the daily run asked (a new email).
CURRENT = {
    "learner": learner(email="now@example.org"),
    "placement": organisation(),
    "officers": [],
    "qualifications": [],
}


class NoLinks:
    """Lookups with no link and no supported course: the learner's SA id is PICS's own."""

    def sa_id(self, _entity: str, _pics_id: str) -> str | None:
        return None

    def course_id(self, _reference: str) -> str | None:
        return None


class Run:
    """The fake pipeline ports, the snapshots read and the plans executed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, current: Mapping[str, Any] | None) -> None:
        self.read: list[str] = []
        self.executed: list[tuple[Plan, dict[str, Any]]] = []
        self.recorded: list[Outcome] = []
        self.current = current
        self.settings = SETTINGS
        self.found: tuple[Difference, ...] = ()  # what the executor reports SA did not hold
        self.drift: list[tuple[int | None, str | None, tuple[Difference, ...]]] = []
        self.pulled: list[str] = []  # the learners whose pull ran (R1 v2's pull half)
        monkeypatch.setattr(executor, "execute", self._execute)

    def _execute(self, plan: Plan, _ports: object, **how: Any) -> executor.Effects:
        self.executed.append((plan, how))
        return executor.Effects(differences=self.found)

    def _drift(self, run_id: int | None, event_id: str | None, found: tuple[Difference, ...]) -> int:
        self.drift.append((run_id, event_id, found))
        return len(found)

    def _pull(self, ident: str) -> int:
        self.pulled.append(ident)
        return 3

    def _snapshot(self, topic: str, ident: str) -> Mapping[str, Any] | None:
        self.read.append(ident if topic == "pics.learner" else f"{topic}:{ident}")
        return self.current

    def _record(self, _source: Source, outcome: Outcome, **_: Any) -> bool:
        self.recorded.append(outcome)
        return True

    def process(self, name: str, payload: Mapping[str, Any], topic: str = "pics.learner") -> Outcome:
        serde = AvroSerde()
        value = serde.encode(topic, new_event(name, payload, occurred_at=OCCURRED))
        ports = SimpleNamespace(
            serde=serde, ledger=SimpleNamespace(prior=lambda *_: NOTHING_KNOWN, record=self._record),
            lookups=NoLinks(), execution=SimpleNamespace(fence=UNFENCED), settings=lambda: self.settings,
            snapshot=self._snapshot, drift=self._drift, pull=self._pull, rule_fault=no_fault, zone=clock.zone("Europe/London"),
        )  # fmt: skip
        return process(Delivery(Source(topic, 0, 0, "L1"), value), cast(PipelinePorts, ports), LIVE)


def test_a_reconcile_plans_r1_from_what_pics_holds_when_it_is_processed(monkeypatch: pytest.MonkeyPatch) -> None:
    """D5, R1: ReconcileRequested reads PICS's current record of its learner and executes R1's plan of it against SA."""
    run = Run(monkeypatch, CURRENT)

    outcome = run.process("ReconcileRequested", {"learner_ident": "L1", "run_id": 7})

    assert run.read == ["L1"]
    [(plan, how)] = run.executed
    assert plan == plan_refresh_requested(CURRENT, SETTINGS, NoLinks(), date(2026, 11, 23))
    assert any(isinstance(step, Update) and step.fields.get("email") == "now@example.org" for step in plan)
    assert how["compare"] is True
    assert outcome.kind is Kind.APPLIED and run.recorded == [outcome]


def test_a_reconcile_of_a_learner_pics_no_longer_has_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """D1: a learner gone from PICS by the time its request is processed is recorded skipped "not in PICS"."""
    run = Run(monkeypatch, None)

    outcome = run.process("ReconcileRequested", {"learner_ident": "L1", "run_id": None})

    assert (outcome.kind, outcome.reason, outcome.rule) == (Kind.SKIPPED, "not in PICS", "D1")
    assert run.executed == [] and run.recorded == [outcome]


@pytest.mark.parametrize(
    ("name", "payload", "compare"),
    [
        pytest.param("RefreshRequested", CURRENT, True, id="R1-refresh-compares-with-sa"),
        pytest.param("LearnerEdited", {"learner": CURRENT["learner"]}, False, id="L1-edit-trusts-x1-memo"),
    ],
)
def test_which_events_run_against_sa_and_plan_from_their_payload(
    name: str, payload: Mapping[str, Any], compare: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R1 v2: a refresh is executed against SA's current records, an edit is not; both plan from their own after-image."""
    run = Run(monkeypatch, None)

    run.process(name, payload)

    [(plan, how)] = run.executed
    assert run.read == [] and how["compare"] is compare
    assert any(isinstance(step, Update) and step.fields.get("email") == "now@example.org" for step in plan)


def test_the_differences_a_reconcile_repaired_are_recorded_with_its_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """D3: what compare mode found is recorded once, under the daily run that asked and the event's id."""
    run = Run(monkeypatch, CURRENT)
    run.found = (Difference("learner", "learner:g1", "L1", "email", "push", "pushed"),)

    run.process("ReconcileRequested", {"learner_ident": "L1", "run_id": 7})

    [(run_id, event_id, found)] = run.drift
    assert (run_id, found) == (7, run.found) and event_id


def test_a_refresh_records_its_differences_under_no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """D3, R1: a refresh's repairs are recorded too, under no daily run; nothing found records nothing."""
    run = Run(monkeypatch, CURRENT)
    run.process("RefreshRequested", CURRENT)
    assert run.drift == []
    run.found = (Difference("enrolment", "enrolment:5", "Q1", "status", "push", "pushed"),)
    run.process("RefreshRequested", CURRENT)
    assert [(r, f) for r, _e, f in run.drift] == [(None, run.found)]


@pytest.mark.parametrize(
    ("name", "payload", "pulls"),
    [
        pytest.param("RefreshRequested", CURRENT, True, id="R1-refresh-then-pulls"),
        pytest.param("ReconcileRequested", {"learner_ident": "L1", "run_id": 7}, False, id="D1-daily-pull-is-its-own"),
        pytest.param("LearnerEdited", {"learner": CURRENT["learner"]}, False, id="L1-edit-pulls-nothing"),
    ],
)
def test_r1_a_refresh_pulls_its_learner_after_the_push_half(
    name: str, payload: Mapping[str, Any], pulls: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R1 v2: a refresh runs the learner's pull once its comparison with SA is done, and says so in its outcome;
    a daily run's reconcile request does not (the run pulls every learner itself), nor does an edit."""
    run = Run(monkeypatch, CURRENT)

    outcome = run.process(name, payload)

    assert run.pulled == ([CURRENT["learner"]["learner_ident"]] if pulls else [])
    assert ("3 items pulled from SA (R1)" in (outcome.reason or "")) is pulls


ORGANISATION = {"organisation": organisation(organisation_id="ORG1", additional_id="77", name="Acme Now")}
OFFICER = {"officer": officer("OFF1", additional_id="55", email="now@example.org")}


@pytest.mark.parametrize(
    ("name", "topic", "payload", "current", "plan"),
    [
        pytest.param("OrganisationReconcileRequested", "pics.organisation", {"organisation_id": "ORG1", "run_id": 7},
                     ORGANISATION, plan_organisation_edited, id="D1-G1-employer"),
        pytest.param("OfficerReconcileRequested", "pics.officer", {"officer_id": "OFF1", "run_id": 7},
                     OFFICER, plan_officer_edited, id="D1-O1-assessor"),
    ],
)  # fmt: skip
def test_an_employer_or_assessor_reconcile_plans_its_edit_rule_from_what_pics_holds_now(
    name: str, topic: str, payload: dict[str, Any], current: dict[str, Any], plan: Rule,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """D1, D5: the request reads PICS's current organisation / officer by its topic and plans G1 / O1 of it, executed
    against SA; what it finds is recorded under the run."""
    run = Run(monkeypatch, current)
    settings = replace(SETTINGS, organisation_mode=Mode.PUSH, officer_mode=Mode.PUSH)
    run.settings = settings
    run.found = (Difference("employer", "employer:77", "ORG1", "name", "push", "pushed"),)

    outcome = run.process(name, payload, topic)

    record_id = next(iter(payload.values()))
    assert run.read == [f"{topic}:{record_id}"]
    [(executed, how)] = run.executed
    assert executed == plan(current, settings, NoLinks(), date(2026, 11, 23)) and how["compare"] is True
    assert outcome.kind is Kind.APPLIED and [(r, f) for r, _e, f in run.drift] == [(7, run.found)]


def test_an_employer_reconcile_of_an_organisation_pics_no_longer_has_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D1: an organisation gone from PICS by the time its request is processed is skipped "not in PICS"."""
    run = Run(monkeypatch, None)

    outcome = run.process(
        "OrganisationReconcileRequested", {"organisation_id": "ORG1", "run_id": 7}, "pics.organisation"
    )

    assert (outcome.kind, outcome.reason, outcome.rule) == (Kind.SKIPPED, "not in PICS", "D1")
    assert run.read == ["pics.organisation:ORG1"] and run.executed == []


def test_r1_a_pull_half_that_fails_for_good_is_reported_not_parked(monkeypatch: pytest.MonkeyPatch) -> None:
    """R1 v2: the push half is done, so a pull that fails for good is reported on the refresh's outcome rather
    than parking it (the learner's later edits would wait behind a refresh already carried out)."""
    run = Run(monkeypatch, CURRENT)

    def refused(_ident: str) -> int:
        raise SaNotFound("no such learner in SA")

    run._pull = refused  # type: ignore[method-assign]
    outcome = run.process("RefreshRequested", CURRENT)
    assert outcome.kind is Kind.APPLIED
    assert "the learner's pull failed" in (outcome.reason or "")
