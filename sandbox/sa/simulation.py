"""Made-up activity for tests, the demo and benchmarks, deterministic for a seed; learners in bulk.

Each learner draws from its own generator, seeded with the seed and the learner's ``misId``, so a
seed gives a learner the same activity whichever learners are simulated with it. A learner gets
0–4 sessions of random types and statuses within a year of its start date (2025-09-01 when it has
none), by its own assessor (4 in 5), another existing assessor or none; 0–400 actual OTJ hours;
a Smart Coach score; a random number of signed-off elements on each enrolment.

On top, the cases of DOMAIN.md v2 that a pull must live with, each drawn for a learner with its
share of ``Mix`` (3 % each by default) from a second generator of the learner's own, so the draws
above stay what they were:

- **group session**: the learner hosts one more session, a Formal Review by its own assessor, shared
  with 1–2 other learners of that assessor (chosen by the seed among every SA learner with that
  assessor): one session id in 2–3 learners' lists (P2);
- **not in Smart Coach**: its ``/smart-coach`` answers 404; **no score yet**: a null score and
  band (P8). A learner drawn for neither is in Smart Coach with its score;
- **SA blanks**: 1–3 of its optional details set to "" or null (date of birth, NI number, postcode,
  email, phone, mobile, address 1), and likewise 1–2 of its employer's (phone, postcode, address 1,
  website), one of its assessor's (phone, mobile) and the start or planned end date of each of its
  enrolments (P13). A blank stays: a later simulation does not put the value back.

``simulate`` answers what it did (``Simulated``; the sandbox also serves the last one's counts at
``/_sandbox/simulation``), so a demo's oracle can report it. ``bulk_learners`` draws no v2 case
unless asked (``NO_V2``), so benchmarks and seeded tests keep the activity they had.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from sandbox.sa.activity import replace_sessions, set_progress, set_smart_coach
from sandbox.sa.enrolments import NEW_PROGRESS, EnrolmentCreate
from sandbox.sa.errors import ApiError
from sandbox.sa.models import LearnerCreate
from sandbox.sa.records import patch, stamped
from sandbox.sa.sessions import SessionType
from sandbox.sa.state import SandboxState
from sandbox.sa.store import Record, Table

ANCHOR = datetime(2025, 9, 1, tzinfo=UTC)
SESSION_TYPES: tuple[str, ...] = get_args(SessionType)
STATUSES = ("attended", "planned", "cancelled_learner", "cancelled_assessor", "cancelled_employer")
STATUS_WEIGHTS = (6, 3, 1, 1, 1)
DURATIONS = (30, 45, 60, 90, 120)
FIRST_NAMES = ("Alex", "Sam", "Jo", "Priya", "Tom", "Aisha", "Ben", "Chloe", "Dan", "Ewa", "Femi", "Grace")
SURNAMES = ("Smith", "Jones", "Patel", "Khan", "Brown", "Taylor", "Wilson", "Evans", "Nowak", "Okafor")
# The optional fields an SA user may leave empty, per record (required ones SA refuses to blank).
LEARNER_BLANKS = ("dateOfBirth", "niNumber", "postcode", "email", "phoneNumber", "mobileNumber", "address1")
EMPLOYER_BLANKS = ("phoneNumber", "postcode", "address1", "website")
ASSESSOR_BLANKS = ("phoneNumber", "mobileNumber")
ENROLMENT_BLANKS = ("startDate", "plannedEndDate")
_DATES = frozenset({"dateOfBirth", "startDate", "plannedEndDate"})  # a date is null when blank, never ""


@dataclass(frozen=True)
class Mix:
    """The share of learners drawn for each v2 case (0 to 1)."""

    group_sessions: float = 0.03
    not_in_smart_coach: float = 0.03
    no_score_yet: float = 0.03
    blanks: float = 0.03

    @classmethod
    def of(cls, shares: Mapping[str, float]) -> Mix:
        """The default mix with the shares given under their API names (``groupSessions``…)."""
        return cls(**{_snake(name): share for name, share in shares.items()})


NO_V2 = Mix(0.0, 0.0, 0.0, 0.0)


@dataclass
class Simulated:
    """What one simulation did, in counts."""

    learners: int = 0
    group_sessions: int = 0
    group_session_learners: int = 0  # hosts and the learners they share with
    not_in_smart_coach: int = 0
    no_score_yet: int = 0
    blank_learners: int = 0  # records in which this simulation emptied a value (one already empty stays so)
    blank_employers: int = 0
    blank_assessors: int = 0
    blank_enrolments: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts under API names: ``{"learners": 40, "groupSessions": 1, …}``."""
        return {_camel(name): count for name, count in asdict(self).items()}


def simulate(state: SandboxState, seed: int, learners: Iterable[Record], mix: Mix | None = None) -> Simulated:
    """Replace each learner's activity with what ``seed`` draws for it (the v2 cases with ``mix``)."""
    assessor_ids = [assessor["id"] for assessor in state.assessors.all()]
    peers = _by_assessor(state.learners)
    done, blanked = Simulated(), _Blanked()
    for learner in learners:
        rng, v2 = random.Random(f"{seed}:{learner['misId']}"), random.Random(f"{seed}:{learner['misId']}:v2")
        rolls = _Rolls(v2, mix or Mix())
        group = _group_session(v2, learner, peers, done) if rolls.group else None
        simulate_learner(state, rng, learner, assessor_ids, [] if group is None else [group])
        _smart_coach(state, learner, rolls, done)
        if rolls.blanks:
            _blank(state, v2, learner, blanked)
        done.learners += 1
    blanked.count(done)
    state.last_simulation.clear()
    state.last_simulation.update(done.as_dict())
    return done


def simulate_learner(
    state: SandboxState,
    rng: random.Random,
    learner: Record,
    assessor_ids: Sequence[int],
    extra_sessions: Sequence[Record] = (),
) -> None:
    """The v1 activity of one learner (and the sessions it hosts, ``extra_sessions``)."""
    sessions = [_session(rng, learner, assessor_ids) for _ in range(rng.randint(0, 4))]
    replace_sessions(state, learner["id"], sorted([*sessions, *extra_sessions], key=lambda s: str(s["start"])))
    state.otj_actual_hours[learner["id"]] = round(rng.uniform(0, 400), 1)
    state.smart_coach_scores[learner["id"]] = round(rng.random(), 2)
    for enrolment in state.enrolments.find(learnerId=learner["id"]):
        signed_off = rng.randint(0, enrolment["elementsTotal"])
        assessed = round(100 * signed_off / enrolment["elementsTotal"], 1)
        mapped, timeline = round(rng.uniform(assessed, 100), 1), round(rng.uniform(0, 100), 1)
        set_progress(state, enrolment, signed_off, mapped_pc=mapped, timeline_pc=timeline)


class _Rolls:
    """A learner's v2 draws, always the same three, so what one case draws next never shifts another."""

    def __init__(self, rng: random.Random, mix: Mix) -> None:
        group, coach, blanks = rng.random(), rng.random(), rng.random()
        self.group = group < mix.group_sessions
        self.not_in_smart_coach = coach < mix.not_in_smart_coach
        self.no_score_yet = not self.not_in_smart_coach and coach < mix.not_in_smart_coach + mix.no_score_yet
        self.blanks = blanks < mix.blanks


def _by_assessor(learners: Table) -> dict[int, list[str]]:
    """SA's learners by their assessor, in misId order (a group's other learners are drawn from these)."""
    peers: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
    for learner in learners.all():
        if learner.get("assessorId") is not None:
            peers[learner["assessorId"]].append((learner["misId"], learner["id"]))
    return {assessor: [ident for _mis, ident in sorted(group)] for assessor, group in peers.items()}


def _group_session(
    rng: random.Random, learner: Record, peers: Mapping[int, list[str]], done: Simulated
) -> Record | None:
    """A Formal Review by the learner's assessor with 1–2 other learners of that assessor, if it has any."""
    others = [ident for ident in peers.get(learner.get("assessorId") or -1, []) if ident != learner["id"]]
    if not others:
        return None
    shared = rng.sample(others, min(len(others), rng.randint(1, 2)))
    session = _session(rng, learner, [learner["assessorId"]]) | {"type": "Formal Review"}
    done.group_sessions += 1
    done.group_session_learners += 1 + len(shared)
    return session | {"assessorId": learner["assessorId"], "alsoLearnerIds": shared}


def _smart_coach(state: SandboxState, learner: Record, rolls: _Rolls, done: Simulated) -> None:
    score = state.smart_coach_scores[learner["id"]]
    if rolls.not_in_smart_coach:
        done.not_in_smart_coach += 1
    elif rolls.no_score_yet:
        score = None
        done.no_score_yet += 1
    set_smart_coach(state, learner["id"], score, member=not rolls.not_in_smart_coach)


@dataclass
class _Blanked:
    """The ids of the records a simulation emptied a value in, by kind (a shared employer counts once)."""

    learners: set[Any] = field(default_factory=set)
    employers: set[Any] = field(default_factory=set)
    assessors: set[Any] = field(default_factory=set)
    enrolments: set[Any] = field(default_factory=set)

    def count(self, done: Simulated) -> None:
        done.blank_learners, done.blank_employers = len(self.learners), len(self.employers)
        done.blank_assessors, done.blank_enrolments = len(self.assessors), len(self.enrolments)


def _blank(state: SandboxState, rng: random.Random, learner: Record, blanked: _Blanked) -> None:
    """SA blanks: some of the learner's details, and its employer's, assessor's and enrolments'."""
    _empty(state.learners, learner, rng.sample(LEARNER_BLANKS, rng.randint(1, 3)), rng, blanked.learners)
    employer = state.employers.get(learner.get("employerId"))
    if employer is not None:
        _empty(state.employers, employer, rng.sample(EMPLOYER_BLANKS, rng.randint(1, 2)), rng, blanked.employers)
    assessor = state.assessors.get(learner.get("assessorId"))
    if assessor is not None:
        _empty(state.assessors, assessor, [rng.choice(ASSESSOR_BLANKS)], rng, blanked.assessors)
    for enrolment in state.enrolments.find(learnerId=learner["id"]):
        _empty(state.enrolments, enrolment, [rng.choice(ENROLMENT_BLANKS)], rng, blanked.enrolments)


def _empty(table: Table, record: Record, names: Sequence[str], rng: random.Random, blanked: set[Any]) -> None:
    """Empty the fields named (``modifiedAt`` moves, as for any write); note the record when that changed it."""
    empties = {name: None if name in _DATES else rng.choice(("", None)) for name in names}
    changes = {name: value for name, value in empties.items() if record.get(name) != value}
    if changes:
        patch(table, record, changes, "record")
        blanked.add(record["id"])


def bulk_learners(
    state: SandboxState, count: int, prefix: str, course_id: int, seed: int, **links: int | None
) -> list[Record]:
    """``count`` active learners ``<prefix>00001`` …, each enrolled (``<misId>-Q1``) on the course,
    with ``links`` (``employerId``, ``assessorId``) set on learner and enrolment as each takes, and
    activity simulated from ``seed`` (no v2 case): ``[{id, misId, enrolmentId}]``. 409 if a misId is taken."""
    width = max(5, len(str(count)))
    mis_ids = [f"{prefix}{n:0{width}d}" for n in range(1, count + 1)]
    if any(state.learners.find(misId=mis_id) for mis_id in mis_ids):
        raise ApiError(409, "duplicate_mis_id", "A learner has one of these misIds.", field="misIdPrefix")
    rng = random.Random(f"bulk:{prefix}")
    made = [_enrolled(state, rng, mis_id, course_id, links) for mis_id in mis_ids]
    simulate(state, seed, [learner for learner, _ in made], NO_V2)
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


def _snake(name: str) -> str:
    known = {_camel(f.name): f.name for f in fields(Mix)}
    return known[name]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
