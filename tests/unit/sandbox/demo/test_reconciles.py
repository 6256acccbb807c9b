"""The daily run's reconcile requests as the oracle folds them (D1, D2): in step, no difference is expected;
PICS ahead of SA under Push, the field is; a supported qualification SA lacks, its enrolment is."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from sandbox.demo.drift_check import Drift
from sandbox.demo.journal import Sent
from sandbox.demo.model import SaModel, fold_all
from sandbox.demo.pics_rows import PicsRows
from sandbox.demo.reconciles import folded, learners_of, requests
from sandbox.pics.people import People
from sandbox.pics.world import World
from tests.unit.sandbox.demo.builders import CATALOGUE, COURSE, NONE_ALL, PUSH_ALL, pics_rows, settings

RUN = date.today()


def uploaded(values: dict[str, str]) -> tuple[World, SaModel]:
    """A plain world of four learners, each uploaded, and the model of SA after it."""
    world = World(People(3), "T-")
    world.populate(4, [COURSE])
    sent = [Sent(f"e-{e.key}", e.name, e.topic, e.key, e.payload, True) for e in world.enrolments()]
    return world, fold_all(settings(values), CATALOGUE, sent)


def before(world: World) -> PicsRows:
    """PICS's rows as the daily run finds them: every learner in SA."""
    rows = {i: {**copy.deepcopy(row), "smart_assessor_id": f"g-{i}"} for i, row in world.learners.items()}
    return pics_rows(learners=rows)


def test_d1_a_model_in_step_with_pics_expects_no_difference() -> None:
    """D1, D4: the requests of a run after which nothing changed find nothing."""
    world, model = uploaded(PUSH_ALL)
    assert folded(model, world, before(world), RUN) == set()


def test_d1_the_run_asks_for_each_eligible_learner_and_its_employer_and_assessors_once() -> None:
    """D1: one learner request each (Y1), then each placement and Main Officer / second assessor once."""
    world, model = uploaded(PUSH_ALL)
    sent = requests(world, before(world), RUN, model.settings)
    names = [s.name for s in sent]
    assert names.count("ReconcileRequested") == 4
    assert len({s.key for s in sent}) == len(sent)  # each record once
    assert {s.key for s in sent if s.name == "OrganisationReconcileRequested"} == set(world.placement.values())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(PUSH_ALL, {"email"}, id="D1-L1-push-pics-wins"),
        pytest.param(NONE_ALL, set(), id="D1-L5-none-not-compared"),
    ],
)
def test_d1_pics_ahead_of_sa_is_expected_pushed_only_where_the_settings_push(
    values: dict[str, str], expected: set[str]
) -> None:
    """D1: an Email PICS changed that no event carried (S1 off that evening) is pushed under Push, not under None."""
    world, model = uploaded(values)
    ident = sorted(world.learners)[0]
    world.learners[ident]["email"] = "changed.while.off@example.org"
    found = folded(model, world, before(world), RUN)
    assert {d.field for d in found if d.pics_id == ident} == expected


def test_d2_a_supported_qualification_sa_lacks_is_expected_enrolled() -> None:
    """D2 / U5 (v2): a qualification added in PICS with no SA enrolment is enrolled by the run."""
    world, model = uploaded(PUSH_ALL)
    ident = sorted(world.learners)[1]
    added = {**world.qualifications[ident][0], "qualification_id": f"{ident}-Q7"}
    world.qualifications[ident].append(added)
    found = folded(model, world, before(world), RUN)
    assert found == {Drift("enrolment", f"{ident}-Q7", "courseId", "push", "enrolled")}


def test_learners_of_names_a_course_s_learner_and_no_learner_for_an_employer() -> None:
    """The learners to read back after the run: a course's owner; an employer edit names none."""
    world, model = uploaded(PUSH_ALL)
    ident = sorted(world.learners)[2]
    course = next(iter(model.learners[ident].courses))
    drifts = [
        Drift("enrolment", course, "status", "push", "pushed"),
        Drift("employer", "ORG1", "name", "push", "pushed"),
    ]
    assert learners_of(drifts, model) == {ident}
