"""Plans run against SA's current records (compare mode) with the real rule plans and an SA edited by hand.

D1 each Push-direction field rule (L1–L4 under S6–S9, E1 under S13, Q1 under S15, Q2 under S16, A1,
B1/B2, O1 under S10, G1 under S12) finds and repairs the difference even where X1's memo says SA
holds it; fields under None are not compared. D2 a missing enrolment is enrolled, a stray one
reported and left. D4 a dry run lists exactly the real run's writes; a second run finds nothing.
D6 no Ensure creates a second SA record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest

from sync_core.drift.compare import Difference
from sync_core.errors import MappingError
from sync_core.execute.executor import Effects, ExecutorPorts, execute
from sync_core.plan import Plan, update_learner
from sync_core.rules.enrolment import plan_learner_enrolled
from sync_core.rules.organisation import plan_officer_edited, plan_organisation_edited
from sync_core.rules.refresh import plan_refresh_requested
from sync_core.settings import IntegrationSettings, Mode
from tests.unit.fakes import HASH_KEY, FakeSa, FakeState
from tests.unit.sync_core.rules.builders import TODAY, learner, officer, organisation, qualification, roles

ON = IntegrationSettings(integration_enabled=True)
ALL = replace(
    ON, student_id_from_lrn=True, learner_mode=Mode.PUSH, sync_gender=True, sync_ethnicity=True, send_disability=True,
    officer_mode=Mode.PUSH, organisation_mode=Mode.PUSH, push_employer_changes=True, second_assessor_role="IQA",
    push_assessor_changes=True, qualification_dates_mode=Mode.PUSH,
)  # fmt: skip
COURSES = {"60312345": "7", "60399999": "12"}


@dataclass
class World:
    """SA as the upload under every setting left it, and PICS's records of the learner."""

    sa: FakeSa
    state: FakeState
    pics: dict[str, Any] = field(default_factory=dict)

    def sa_id(self, entity: str, pics_id: str) -> str:
        return self.state.links[(entity, pics_id)]

    @property
    def learner(self) -> dict[str, Any]:
        return self.sa.learners[self.sa_id("learner", "L1")]

    @property
    def course(self) -> dict[str, Any]:
        return self.sa.enrolments[self.sa_id("enrolment", "Q1")]

    def assessor(self, officer_id: str) -> dict[str, Any]:
        return self.sa.assessors[self.sa_id("assessor", officer_id)]

    @property
    def employer(self) -> dict[str, Any]:
        return self.sa.employers[self.sa_id("employer", "ORG1")]

    def ports(self) -> ExecutorPorts:
        return ExecutorPorts(self.sa, self.state, self.state, self.state, self.state, hash_key=HASH_KEY)


def uploaded() -> World:
    """Learner L1 uploaded by the real LearnerEnrolled plan, with SA's defaults as the sandbox sets them."""
    pics = {
        "learner": learner(smart_assessor_id=None),
        "placement": organisation(),
        "officers": roles(Main_Officer=officer("OFF1"), IQA=officer("OFF2")),
        "qualifications": [qualification("Q1")],
    }
    world = World(FakeSa(), FakeState(COURSES), pics)
    execute(plan_learner_enrolled(pics, ALL, world.state, TODAY), world.ports())
    sandbox_defaults(world.sa)
    pics["learner"] = {**pics["learner"], "smart_assessor_id": world.sa_id("learner", "L1")}
    pics["placement"] = {**pics["placement"], "additional_id": world.sa_id("employer", "ORG1")}
    world.sa.calls.clear()  # the log shows what happens after the upload
    world.sa.updates.clear()
    return world


def sandbox_defaults(sa: FakeSa) -> None:
    """The statuses SA gives a new learner and a new enrolment (sandbox/sa), which the fake leaves out."""
    for record in sa.learners.values():
        record.setdefault("status", "active")
    for record in sa.enrolments.values():
        record.setdefault("status", "in_training")


def refresh(world: World, settings: IntegrationSettings) -> Plan:
    """The real R1 plan of PICS's current record."""
    return plan_refresh_requested(world.pics, settings, world.state, TODAY)


def officer_edited(world: World, settings: IntegrationSettings) -> Plan:
    """The real O1 plan of the Main Officer's record."""
    record = officer("OFF1", additional_id=world.sa_id("assessor", "OFF1"))
    return plan_officer_edited({"officer": record}, settings, world.state, TODAY)


def organisation_edited(world: World, settings: IntegrationSettings) -> Plan:
    """The real G1 plan of the placement's record."""
    return plan_organisation_edited({"organisation": world.pics["placement"]}, settings, world.state, TODAY)


def memo_says_pushed(world: World, plan: Plan) -> None:
    """X1's memo holds every field of the plan as pushed (a push to a copy of SA, remembered as the ledger does)."""
    shadow = copy.deepcopy(world)
    world.state.hashes.update(execute(plan, shadow.ports(), force=True).pushed)


def records(sa: FakeSa) -> tuple[dict[str, Any], ...]:
    return sa.learners, sa.enrolments, sa.assessors


def sizes(sa: FakeSa) -> tuple[int, ...]:
    return len(sa.employers), len(sa.assessors), len(sa.enrolments), len(sa.learners)


def found(effects: Effects) -> set[tuple[str, str]]:
    return {(d.entity, d.field) for d in effects.differences}


def in_pics(section: str, **changes: Any) -> Callable[[World], None]:
    """A change PICS holds that SA does not (made while nothing pushed it)."""

    def change(world: World) -> None:
        if section == "qualification":
            world.pics["qualifications"] = [{**world.pics["qualifications"][0], **changes}]
        else:
            world.pics[section] = {**world.pics[section], **changes}

    return change


def in_sa(record: str, **changes: Any) -> Callable[[World], None]:
    """A hand edit in SA: ``record`` is "learner", "course", "employer" or an officer id."""

    def edit(world: World) -> None:
        held = getattr(world, record) if record in ("learner", "course", "employer") else world.assessor(record)
        held.update(changes)

    return edit


def other_employer(world: World) -> None:
    """E1: the learner moved to another SA employer by hand."""
    world.sa.employers["88"] = {"id": 88, "misId": "ORG8", "name": "Other Ltd"}
    world.learner["employerId"] = 88


def break_in_sa(world: World) -> None:
    """B2: SA still shows the break PICS has ended."""
    world.learner["status"] = "break_in_learning"
    world.course.update(status="break_in_learning", completionStatus=6, actualEndDate="2026-11-20")


@dataclass(frozen=True)
class Row:
    settings: IntegrationSettings
    change: Callable[[World], None]
    differences: set[tuple[str, str]]
    plan: Callable[[World, IntegrationSettings], Plan] = refresh
    hand_edit: bool = True  # False: PICS holds a change SA never got


PUSH = replace(ON, learner_mode=Mode.PUSH)
PUSHED = [
    pytest.param(Row(PUSH, in_sa("learner", email="hand@example.org"), {("learner", "email")}), id="D1-L1-S6-push-email"),
    pytest.param(Row(PUSH, in_sa("learner", surname="Byron", postcode="ls1 1aa"), {("learner", "surname"), ("learner", "postcode")}), id="D1-L1-S6-push-two-fields"),
    pytest.param(Row(replace(PUSH, student_id_from_lrn=True), in_sa("learner", studentId="X9"), {("learner", "studentId")}), id="D1-L1-S4-student-id"),
    pytest.param(Row(replace(ON, learner_mode=Mode.PULL), in_sa("learner", uln="9999999999"), {("learner", "uln")}), id="D1-L2-S6-pull-uln-still-pushed"),
    pytest.param(Row(replace(PUSH, sync_gender=True), in_sa("learner", gender="M"), {("learner", "gender")}), id="D1-L3-S7-gender"),
    pytest.param(Row(replace(PUSH, sync_ethnicity=True), in_sa("learner", ethnicity="99"), {("learner", "ethnicity")}), id="D1-L3-S8-ethnicity"),
    pytest.param(Row(replace(ON, send_disability=True), in_sa("learner", disability="Y"), {("learner", "disability")}), id="D1-L4-S9-disability-whatever-S6"),
    pytest.param(Row(replace(ON, send_disability=True), in_pics("learner", disability="Y"), {("learner", "disability")}, hand_edit=False), id="D1-L4-S9-switched-on-reaches-an-unedited-learner"),
    pytest.param(Row(replace(ON, push_employer_changes=True), other_employer, {("learner", "employerId")}), id="D1-E1-S13-employer"),
    pytest.param(Row(replace(ON, push_assessor_changes=True), in_sa("course", assessorId=7777), {("enrolment", "assessorId")}), id="D1-Q1-S15-course-assessor"),
    pytest.param(Row(replace(ON, push_assessor_changes=True, second_assessor_role="IQA"), in_sa("course", secondAssessorId=None), {("enrolment", "secondAssessorId")}), id="D1-Q1-S15-second-assessor"),
    pytest.param(Row(replace(ON, push_assessor_changes=True), in_sa("learner", assessorId=7777), {("learner", "assessorId")}), id="D1-Q1-S15-learner-assessor"),
    pytest.param(Row(ON, in_sa("course", startDate="2026-10-01"), {("enrolment", "startDate")}), id="D1-Q2-S16-push-dates"),
    pytest.param(Row(ON, in_sa("course", status="withdrawn"), {("enrolment", "status")}), id="D1-A1-course-status-edited-in-sa"),
    pytest.param(Row(ON, in_pics("qualification", actual_end_date=TODAY, completion_status=2, outcome=1),
                     {("enrolment", "actualEndDate"), ("enrolment", "completionStatus"), ("enrolment", "outcome"), ("enrolment", "status")},
                     hand_edit=False),
                 id="D1-A1-closure-sa-missed"),
    pytest.param(Row(ON, lambda w: (in_pics("learner", programme_status="Break in learning")(w),
                                    in_pics("qualification", completion_status=6, actual_end_date=date(2026, 11, 20))(w)),
                     {("learner", "status"), ("enrolment", "status"), ("enrolment", "completionStatus"), ("enrolment", "actualEndDate")},
                     hand_edit=False),
                 id="D1-B1-break-sa-missed"),
    pytest.param(Row(ON, break_in_sa, {("learner", "status"), ("enrolment", "status"), ("enrolment", "completionStatus"), ("enrolment", "actualEndDate")},
                     hand_edit=False),  # B2 sends completion status 1 where the upload sent none: the same (D1), not equal
                 id="D1-B2-return-sa-missed"),
    pytest.param(Row(replace(ON, officer_mode=Mode.PUSH), in_sa("OFF1", phoneNumber="0113 999"), {("assessor", "phoneNumber")}, officer_edited), id="D1-O1-S10-push"),
    pytest.param(Row(replace(ON, organisation_mode=Mode.PUSH), in_sa("employer", name="Acme Limited"), {("employer", "name")}, organisation_edited), id="D1-G1-S12-push"),
]  # fmt: skip
NOT_COMPARED = [
    pytest.param(Row(ON, in_sa("learner", email="hand@example.org"), set()), id="D1-L1-S6-none-not-compared"),
    pytest.param(Row(replace(ON, learner_mode=Mode.PULL), in_sa("learner", email="hand@example.org"), set()), id="D1-L1-S6-pull-not-pushed"),
    pytest.param(Row(PUSH, in_sa("learner", gender="M"), set()), id="D1-L3-S7-off-not-compared"),
    pytest.param(Row(PUSH, in_sa("learner", disability="Y"), set()), id="D1-L4-S9-off-not-compared"),
    pytest.param(Row(ON, other_employer, set()), id="D1-E1-S13-off-not-compared"),
    pytest.param(Row(ON, in_sa("course", assessorId=7777), set()), id="D1-Q1-S15-off-not-compared"),
    pytest.param(Row(replace(ON, qualification_dates_mode=Mode.PULL), in_sa("course", startDate="2026-10-01"), set()), id="D1-Q2-S16-pull-not-pushed"),
    pytest.param(Row(ON, in_sa("OFF1", phoneNumber="0113 999"), set(), officer_edited), id="D1-O1-S10-none-not-compared"),
    pytest.param(Row(ON, in_sa("employer", name="Acme Limited"), set(), organisation_edited), id="D1-G1-S12-none-not-compared"),
]  # fmt: skip


@pytest.mark.parametrize("row", PUSHED)
def test_d1_a_push_difference_is_found_and_pushed_though_x1_says_sa_holds_it(row: Row) -> None:
    """D1: the field SA does not hold is sent, and only it, though X1's memo says it was pushed (R1 v2)."""
    world = uploaded()
    expected = copy.deepcopy(world.sa)
    row.change(world)
    plan = row.plan(world, row.settings)
    memo_says_pushed(world, plan)
    assert execute(plan, world.ports()).calls == ()  # X1 alone would leave the hand edit for good
    effects = execute(plan, world.ports(), compare=True)
    assert found(effects) == row.differences
    assert {(d.direction, d.action) for d in effects.differences} == {("push", "pushed")}
    sent = {name for _kind, _id, fields in world.sa.updates for name in fields}
    assert sent == {name for _entity, name in row.differences}
    if row.hand_edit:  # SA holds PICS's values again
        assert records(world.sa) == records(expected)
        assert world.employer == expected.employers[world.sa_id("employer", "ORG1")]


@pytest.mark.parametrize("row", NOT_COMPARED)
def test_d1_fields_under_none_are_neither_compared_nor_changed(row: Row) -> None:
    """D1: a field whose rule does not push (None, Update PICS…, a toggle off) is not compared: no difference, SA keeps it."""
    world = uploaded()
    row.change(world)
    edited = copy.deepcopy(world.sa)
    effects = execute(row.plan(world, row.settings), world.ports(), compare=True)
    assert effects.differences == () and world.sa.writes() == edited.writes()
    assert records(world.sa) == records(edited)


@pytest.mark.parametrize("settings", [pytest.param(ALL, id="D1-all-settings"), pytest.param(ON, id="D1-defaults")])
def test_d1_a_learner_in_sync_has_no_difference(settings: IntegrationSettings) -> None:
    """D1: right after the upload nothing differs (SA's dates, numeric ids and blanks are PICS's values), so nothing is sent."""
    world = uploaded()
    before = len(world.sa.writes())
    for plan in (refresh(world, settings), officer_edited(world, settings), organisation_edited(world, settings)):
        assert execute(plan, world.ports(), compare=True).differences == ()
    assert len(world.sa.writes()) == before


@pytest.mark.parametrize("row", PUSHED)
def test_d4_a_dry_run_lists_exactly_the_writes_the_real_run_makes(row: Row) -> None:
    """D4: the dry run makes no write and predicts, per record and field, what the real run then writes."""
    world = uploaded()
    row.change(world)
    plan = row.plan(world, row.settings)
    before = copy.deepcopy(world.sa)
    dry = execute(plan, world.ports(), compare=True, dry_run=True)
    assert world.sa.writes() == before.writes() and world.sa.learners == before.learners
    real = execute(plan, world.ports(), compare=True)
    assert dry.calls == real.calls and len(real.calls) > 0
    assert [replace(d, action="pushed") for d in dry.differences] == list(real.differences)
    assert {d.action for d in dry.differences} == {"would push"}


@pytest.mark.parametrize("row", PUSHED)
def test_d4_a_second_run_after_the_repair_finds_no_difference(row: Row) -> None:
    """D4: run twice with nothing changed in between, the second run finds no difference and writes nothing."""
    world = uploaded()
    row.change(world)
    plan = row.plan(world, row.settings)
    assert execute(plan, world.ports(), compare=True).differences
    writes = len(world.sa.writes())
    again = execute(plan, world.ports(), compare=True)
    assert again.differences == () and again.calls == () and len(world.sa.writes()) == writes


def test_d1_a_repair_teaches_x1_what_sa_holds() -> None:
    """D1 / X1: after a repair the memo holds what SA holds, so the next push of the same value makes no call."""
    world = uploaded()
    world.learner["email"] = "hand@example.org"
    plan = refresh(world, PUSH)
    world.state.hashes.update(execute(plan, world.ports(), compare=True).pushed)
    assert execute(plan, world.ports()).calls == ()


def test_d1_each_sa_record_is_read_once_per_run() -> None:
    """D1: one read of the learner and one of its enrolments however many steps of the plan touch them."""
    world = uploaded()
    world.pics["qualifications"] = [qualification("Q1"), qualification("Q5", "60399999")]
    execute(refresh(world, ALL), world.ports())  # Q5 enrolled, so the plan updates two courses
    world.sa.calls.clear()
    execute(refresh(world, ALL), world.ports(), compare=True)
    reads = [kind for kind, _ in world.sa.calls if kind in ("get learner", "find enrolment")]
    assert sorted(reads) == ["find enrolment", "get learner"]


def test_d2_a_supported_qualification_missing_in_sa_is_enrolled_once() -> None:
    """D2 / U5: a qualification SA supports and does not hold is enrolled, a Difference "enrolled"; the dry run predicts it."""
    world = uploaded()
    world.pics["qualifications"] = [qualification("Q1"), qualification("Q5", "60399999")]
    plan = refresh(world, ON)
    dry = execute(plan, world.ports(), compare=True, dry_run=True)
    real = execute(plan, world.ports(), compare=True)
    enrolment = world.sa_id("enrolment", "Q5")
    enrolled = Difference("enrolment", f"enrolment:{enrolment}", "Q5", "courseId", "push", "enrolled")
    assert real.differences == (enrolled,)
    assert dry.differences == (Difference("enrolment", None, "Q5", "courseId", "push", "would enrol"),)
    assert dry.calls == real.calls == ("create enrolment",)
    sandbox_defaults(world.sa)
    assert execute(refresh(world, ON), world.ports(), compare=True).differences == ()
    assert sorted(e["misId"] for e in world.sa.enrolments.values()) == ["Q1", "Q5"]


def test_d2_an_sa_enrolment_with_no_pics_qualification_is_reported_never_deleted() -> None:
    """D2: an SA enrolment that is none of PICS's qualifications (by MIS id or course) is reported and left as it is."""
    world = uploaded()
    learner_id = world.sa_id("learner", "L1")
    world.sa.enrolments["9100"] = {"id": 9100, "misId": "QX", "courseId": 99, "learnerId": learner_id}
    # added in SA on PICS's course: not reported
    world.sa.enrolments["9101"] = {"id": 9101, "misId": None, "courseId": 7, "learnerId": learner_id}
    stray = copy.deepcopy(world.sa.enrolments["9100"])
    for dry_run in (True, False):
        effects = execute(refresh(world, ON), world.ports(), compare=True, dry_run=dry_run)
        assert effects.differences == (Difference("enrolment", "enrolment:9100", None, "courseId", "push", "reported"),)
        assert effects.calls == ()
        assert "enrolment:9100 is none of the learner's PICS qualifications (D2)" in effects.reports
    assert world.sa.enrolments["9100"] == stray


def test_d2_the_stray_check_runs_only_against_sa() -> None:
    """D2: a plan run without compare reads no enrolment list for the check (it is a comparison)."""
    world = uploaded()
    world.sa.enrolments["9100"] = {"id": 9100, "misId": "QX", "courseId": 99, "learnerId": world.sa_id("learner", "L1")}
    effects = execute(refresh(world, ON), world.ports())
    assert effects.differences == () and not effects.reports


def test_d6_no_ensure_creates_a_second_sa_record() -> None:
    """D6 / U10: with every link of ours lost, a run against SA finds the employer, assessors and enrolment by MIS id."""
    world = uploaded()
    world.pics["placement"] = {**world.pics["placement"], "additional_id": None}
    world.pics["qualifications"] = [qualification("Q1")]
    kept = {("learner", "L1"): world.sa_id("learner", "L1")}
    counts = sizes(world.sa)
    world.state.links = dict(kept)
    dry = execute(refresh(world, ALL), world.ports(), compare=True, dry_run=True)
    real = execute(refresh(world, ALL), world.ports(), compare=True)
    assert dry.calls == real.calls == ()  # found, so neither run creates (nor, D4, predicts a create)
    assert sizes(world.sa) == counts
    assert dry.differences == real.differences == ()
    assert world.state.links[("enrolment", "Q1")] == str(world.course["id"])


def test_d3_a_difference_holds_no_personal_value() -> None:
    """D3: Differences name records and fields, never a value, even when every learner field differs."""
    world = uploaded()
    world.learner.update(firstName="Augusta", email="hand@example.org", niNumber="ZZ999999Z", dateOfBirth="1999-01-01")
    effects = execute(refresh(world, ALL), world.ports(), compare=True)
    text = repr(effects.differences)
    assert len(effects.differences) == 4
    for value in ("Ada", "Augusta", "ada@example.org", "hand@", "AB123456C", "ZZ999999Z", "2001-02-03", "1999"):
        assert value not in text


def test_d4_e1_a_new_placement_is_created_and_the_learner_moved_as_the_dry_run_said() -> None:
    """D4 / E1: a placement SA has no employer for: the dry run predicts the create and the move the real run makes."""
    world = uploaded()
    world.pics["placement"] = organisation(organisation_id="ORG2", edrs_number="999999")
    plan = refresh(world, replace(ON, push_employer_changes=True))
    dry = execute(plan, world.ports(), compare=True, dry_run=True)
    assert len(world.sa.employers) == 1
    real = execute(plan, world.ports(), compare=True)
    assert dry.calls == real.calls == ("create employer", "update learner")
    assert [(d.entity, d.field, d.action) for d in dry.differences] == [("learner", "employerId", "would push")]
    assert [(d.entity, d.field, d.action) for d in real.differences] == [("learner", "employerId", "pushed")]
    assert world.learner["employerId"] == int(world.sa_id("employer", "ORG2"))


def test_d1_a_later_step_compares_with_what_an_earlier_step_of_the_plan_sent() -> None:
    """D1 / D4: two steps setting one field: the second is compared with the first's value, not SA's old one."""
    world = uploaded()
    target, email = world.sa_id("learner", "L1"), world.learner["email"]
    plan = (update_learner(target, {"email": "first@example.org"}), update_learner(target, {"email": email}))
    dry = execute(plan, world.ports(), compare=True, dry_run=True)
    real = execute(plan, world.ports(), compare=True)
    assert dry.calls == real.calls == ("update learner", "update learner")
    assert world.learner["email"] == email


@pytest.mark.parametrize("closed", [False, True], ids=["continuing", "closed-in-pics"])
def test_d2_an_enrolment_deleted_in_sa_is_enrolled_again_with_its_closure_as_the_dry_run_said(closed: bool) -> None:
    """D2 / U5 v2: our link names an enrolment SA no longer lists (deleted by hand): it is not patched (SA would
    answer 404) but enrolled again, once, with its closure, relinked, and recorded "enrolled"; the dry run
    predicts exactly that, and a second run finds nothing."""
    world = uploaded()
    if closed:
        world.pics["qualifications"] = [
            qualification("Q1", actual_end_date=date(2026, 11, 20), completion_status=2, outcome=1)
        ]
    gone = world.sa_id("enrolment", "Q1")
    del world.sa.enrolments[gone]
    plan = refresh(world, ALL)
    dry = execute(plan, world.ports(), compare=True, dry_run=True)
    real = execute(plan, world.ports(), compare=True)
    assert [(d.entity, d.pics_id, d.action) for d in real.differences] == [("enrolment", "Q1", "enrolled")]
    assert [replace(d, action="enrolled", sa_resource=None) for d in dry.differences] == [
        replace(d, sa_resource=None) for d in real.differences
    ]
    assert dry.calls == real.calls == ("create enrolment",)
    assert world.sa_id("enrolment", "Q1") != gone and len(world.sa.enrolments) == 1
    assert (world.course["completionStatus"] == 2) is closed
    assert execute(refresh(world, ALL), world.ports(), compare=True).differences == ()


def test_d3_a_repair_sa_refuses_is_a_difference_failed_the_caller_still_has() -> None:
    """D3: when SA refuses the write that was to repair a difference, the differences found so far are in the
    caller's list, that write's marked "failed", before the error goes on to park the request."""
    world = uploaded()
    world.learner["email"] = "hand@example.org"

    def refuse(*_args: Any) -> dict[str, Any]:
        raise MappingError("refused")

    world.sa.update_learner = refuse  # type: ignore[method-assign]
    found: list[Difference] = []
    with pytest.raises(MappingError):
        execute(refresh(world, PUSH), world.ports(), compare=True, found=found)
    assert [(d.entity, d.field, d.action) for d in found] == [("learner", "email", "failed")]
