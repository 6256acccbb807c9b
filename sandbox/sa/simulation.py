"""Made-up activity for tests, the demo and benchmarks, deterministic for a seed; learners in bulk.

Each learner draws from its own generator, seeded with the seed and the learner's ``misId``, so a
seed gives a learner the same activity whichever learners are simulated with it. A learner gets
0–4 sessions of random types and statuses within a year of its start date (2025-09-01 when it has
none), by its own assessor (4 in 5), another existing assessor or none; 0–400 actual OTJ hours;
a Smart Coach score; a random number of signed-off elements on each enrolment.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from sandbox.sa.activity import replace_sessions, set_progress
from sandbox.sa.enrolments import NEW_PROGRESS, EnrolmentCreate
from sandbox.sa.errors import ApiError
from sandbox.sa.models import LearnerCreate
from sandbox.sa.records import stamped
from sandbox.sa.sessions import SessionType
from sandbox.sa.state import SandboxState
from sandbox.sa.store import Record

ANCHOR = datetime(2025, 9, 1, tzinfo=UTC)
SESSION_TYPES: tuple[str, ...] = get_args(SessionType)
STATUSES = ("attended", "planned", "cancelled_learner", "cancelled_assessor", "cancelled_employer")
STATUS_WEIGHTS = (6, 3, 1, 1, 1)
DURATIONS = (30, 45, 60, 90, 120)
FIRST_NAMES = ("Alex", "Sam", "Jo", "Priya", "Tom", "Aisha", "Ben", "Chloe", "Dan", "Ewa", "Femi", "Grace")
SURNAMES = ("Smith", "Jones", "Patel", "Khan", "Brown", "Taylor", "Wilson", "Evans", "Nowak", "Okafor")


def simulate(state: SandboxState, seed: int, learners: Iterable[Record]) -> int:
    """Replace each learner's activity with what ``seed`` draws for it; the number of learners."""
    assessor_ids = [assessor["id"] for assessor in state.assessors.all()]
    learners = list(learners)
    for learner in learners:
        simulate_learner(state, random.Random(f"{seed}:{learner['misId']}"), learner, assessor_ids)
    return len(learners)


def simulate_learner(state: SandboxState, rng: random.Random, learner: Record, assessor_ids: Sequence[int]) -> None:
    sessions = [_session(rng, learner, assessor_ids) for _ in range(rng.randint(0, 4))]
    replace_sessions(state, learner["id"], sorted(sessions, key=lambda s: str(s["start"])))
    state.otj_actual_hours[learner["id"]] = round(rng.uniform(0, 400), 1)
    state.smart_coach_scores[learner["id"]] = round(rng.random(), 2)
    for enrolment in state.enrolments.find(learnerId=learner["id"]):
        signed_off = rng.randint(0, enrolment["elementsTotal"])
        assessed = round(100 * signed_off / enrolment["elementsTotal"], 1)
        mapped, timeline = round(rng.uniform(assessed, 100), 1), round(rng.uniform(0, 100), 1)
        set_progress(state, enrolment, signed_off, mapped_pc=mapped, timeline_pc=timeline)


def bulk_learners(
    state: SandboxState, count: int, prefix: str, course_id: int, seed: int, **links: int | None
) -> list[Record]:
    """``count`` active learners ``<prefix>00001`` …, each enrolled (``<misId>-Q1``) on the course,
    with ``links`` (``employerId``, ``assessorId``) set on learner and enrolment as each takes, and
    activity simulated from ``seed``: ``[{id, misId, enrolmentId}]``. 409 if a misId is taken."""
    width = max(5, len(str(count)))
    mis_ids = [f"{prefix}{n:0{width}d}" for n in range(1, count + 1)]
    if any(state.learners.find(misId=mis_id) for mis_id in mis_ids):
        raise ApiError(409, "duplicate_mis_id", "A learner has one of these misIds.", field="misIdPrefix")
    rng = random.Random(f"bulk:{prefix}")
    made = [_enrolled(state, rng, mis_id, course_id, links) for mis_id in mis_ids]
    simulate(state, seed, [learner for learner, _ in made])
    return [{"id": learner["id"], "misId": learner["misId"], "enrolmentId": e["id"]} for learner, e in made]


def _enrolled(
    state: SandboxState, rng: random.Random, mis_id: str, course_id: int, links: dict[str, Any]
) -> tuple[Record, Record]:
    first_name, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    fields = LearnerCreate(misId=mis_id, firstName=first_name, surname=surname, **links).model_dump()
    learner = state.learners.insert({"id": str(uuid.uuid4()), **stamped(fields)})
    course = EnrolmentCreate(courseId=course_id, misId=f"{mis_id}-Q1", assessorId=links.get("assessorId"))
    enrolment = {"learnerId": learner["id"], **course.model_dump(), **NEW_PROGRESS}
    return learner, state.enrolments.insert(stamped(enrolment))


def _session(rng: random.Random, learner: Record, assessor_ids: Sequence[int]) -> Record:
    start = _anchor(learner) + timedelta(days=rng.randrange(365), minutes=9 * 60 + 30 * rng.randrange(16))
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    actual = start + timedelta(minutes=rng.randrange(16))
    return {
        "type": rng.choice(SESSION_TYPES),
        "start": _written(start),
        "durationMinutes": rng.choice(DURATIONS),
        "assessorId": _assessor(rng, learner, assessor_ids),
        "status": status,
        "actualStart": _written(actual) if status == "attended" else None,
    }


def _assessor(rng: random.Random, learner: Record, assessor_ids: Sequence[int]) -> int | None:
    """The learner's assessor 4 times in 5 (when it has one); else another existing one or none."""
    roll = rng.random()
    if learner.get("assessorId") is not None and roll < 0.8:
        return int(learner["assessorId"])
    return rng.choice(assessor_ids) if assessor_ids and roll < 0.9 else None


def _anchor(learner: Record) -> datetime:
    start = learner.get("startDate")
    return datetime.fromisoformat(start).replace(tzinfo=UTC) if start else ANCHOR


def _written(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")  # whole seconds: no fraction written
