"""The push check catches what a wrong field list, gate or map in the product would leave in SA.

Each test builds SA exactly as the oracle's model says (0 mismatches), then plants one mistake a
product could make and shows the check names it (record id and field, never a value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from sandbox.demo import sync_check
from sandbox.demo.model import SaModel
from sandbox.demo.pics_rows import PicsRows
from sandbox.demo.sync_check import SyncCheck, check_sync
from tests.unit.sandbox.demo.builders import (
    NONE_ALL,
    PUSH_ALL,
    UNSUPPORTED,
    FakeSa,
    enrolled,
    fold,
    learner,
    qualification,
    sa_as_modelled,
    sent,
)


def checked(
    model: SaModel, plant: Callable[[FakeSa, PicsRows], None] = lambda sa, rows: None, **extra: Any
) -> SyncCheck:
    sa, rows = sa_as_modelled(model)
    plant(sa, rows)
    rows.learners.update(extra.get("learners", {}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sync_check, "read_rows", lambda _pool, _prefix: rows)
        return check_sync(cast(Any, None), cast(Any, sa), model, "")


def edited_under(values: dict[str, str]) -> SaModel:
    closed = qualification("L1-Q1", completion_status=2, outcome=1, actual_end_date=learner()["start_date"])
    events = [
        enrolled(learner(), [qualification("L1-Q0"), closed]),
        sent("LearnerEdited", {"learner": learner(first_name="Bea")}),
    ]
    return fold(values, *events)


def test_sa_as_the_model_says_has_no_mismatch() -> None:
    """The check of a right SA finds nothing, and did check fields."""
    check = checked(edited_under(PUSH_ALL))
    assert (check.field_mismatches, check.duplicate_records, check.learners_matching) == (0, 0, 1), check.examples
    assert check.fields_checked > 30


def test_l5_a_product_that_pushes_under_s6_none_is_caught() -> None:
    """U1 / L5: under S6 = None SA keeps the upload's First Name; a product that pushed the edit is a mismatch."""
    check = checked(edited_under(NONE_ALL), lambda sa, _rows: sa.learners["g-L1"].update(firstName="Bea"))
    assert check.examples == ["learner L1: firstName"] and check.learners_matching == 0


def test_l1_a_product_with_a_short_field_list_is_caught() -> None:
    """L1: a product whose field list lacks Surname leaves SA's old value."""
    model = fold(PUSH_ALL, enrolled(learner()), sent("LearnerEdited", {"learner": learner(surname="Ray")}))
    check = checked(model, lambda sa, _rows: sa.learners["g-L1"].update(surname="Lee"))
    assert check.examples == ["learner L1: surname"]


def test_a1_a_wrong_status_map_is_caught() -> None:
    """A1: completion status 2 is Completed in SA; a product mapping it to In Training is a mismatch."""
    check = checked(edited_under(PUSH_ALL), lambda sa, _rows: sa.enrolments["g-L1"][1].update(status="in_training"))
    assert check.examples == ["course L1-Q1: status"]


def test_u5_a_missing_and_an_extra_enrolment_are_caught() -> None:
    """U5: each supported qualification enrolled once, an unsupported one never."""

    def plant(sa: FakeSa, _rows: PicsRows) -> None:
        sa.enrolments["g-L1"] = [sa.enrolments["g-L1"][0], {"misId": "L1-Q2", "courseId": 9}]

    model = fold(
        PUSH_ALL,
        enrolled(learner(), [qualification("L1-Q0"), qualification("L1-Q1"), qualification("L1-Q2", UNSUPPORTED)]),
    )
    check = checked(model, plant)
    assert check.examples == ["course L1-Q1: no enrolment in Smart Assessor (U5)",
                              "course L1-Q2: enrolled in Smart Assessor, though not a supported qualification (U5)"]  # fmt: skip


def test_u10_a_duplicate_counts_once_and_a_missing_record_never_cancels_it() -> None:
    """U10: max(0, n − 1) per PICS record: a learner in SA twice is one duplicate, whatever another record lacks."""

    def plant(sa: FakeSa, rows: PicsRows) -> None:
        sa.learners["g-twin"] = {**sa.learners["g-L1"], "id": "g-twin"}
        rows.organisations["ORG9"] = {"id": "ORG9", "additional_id": None, "edrs_number": None, "postcode": None}

    check = checked(edited_under(PUSH_ALL), plant)
    assert check.duplicate_records == 1 and check.field_mismatches == 0


def test_x2_a_learner_never_uploaded_must_not_be_in_sa() -> None:
    """X2 / Y2: a learner whose events were all skipped has no SA record and no Smart Assessor ID."""
    never = {"learner_ident": "L2", "smart_assessor_id": None}

    def plant(sa: FakeSa, _rows: PicsRows) -> None:
        sa.learners["g-L2"] = {"id": "g-L2", "misId": "L2"}

    check = checked(edited_under(PUSH_ALL), plant, learners={"L2": never})
    assert check.examples == ["learner L2: in Smart Assessor, though never uploaded"]


def test_e1_a_link_pics_does_not_hold_is_named() -> None:
    """U2 / U8: the learner's employer resolves through the organisation's Additional ID; none held is a mismatch."""
    check = checked(edited_under(PUSH_ALL), lambda _sa, rows: rows.organisations["ORG1"].update(additional_id=None))
    assert "learner L1: employerId (PICS holds no SA id for it)" in check.examples
