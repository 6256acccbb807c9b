"""Everything one sandbox server holds, reachable from a request as ``sandbox_state(request)``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import Request

from sandbox.sa.calls import CallLog
from sandbox.sa.catalogue import DEFAULT_CATALOGUE, FIRST_COURSE_ID
from sandbox.sa.config import SandboxConfig
from sandbox.sa.faults import Faults
from sandbox.sa.store import Record, Table, TableImage, fold_case, fold_postcode
from sandbox.sa.tokens import TokenStore

if TYPE_CHECKING:
    from sandbox.sa.deletions import Deleted

FIRST_EMPLOYER_ID = 1001
FIRST_ASSESSOR_ID = 5001
FIRST_ENROLMENT_ID = 9001
FIRST_SESSION_ID = 20001

#: What a snapshot copies: SA's database. The call log, the faults, the tokens, the welcome emails sent
#: (they are in the learners' inboxes), the last simulation's counts and the records deleted by hand
#: are the harness's, or out in the world, and a restore leaves them as they are.
SNAPSHOT_TABLES = ("learners", "employers", "assessors", "courses", "enrolments", "sessions")


@dataclasses.dataclass(frozen=True)
class StateImage:
    """SA's data at one moment, as a backup of its database holds it: each table with its id counter,
    and the learners' activity."""

    tables: Mapping[str, TableImage]
    otj_actual_hours: Mapping[str, float]
    smart_coach_scores: Mapping[str, float | None]
    not_in_smart_coach: frozenset[str]


class SandboxState:
    """The configuration, issued tokens, SA's records, the call log and the fault generator.

    A learner's activity (``sandbox.sa.activity``) is its sessions (a group session lists every
    learner it is for in ``learnerIds``), its actual OTJ hours and its Smart Coach score, both by
    learner id (a score of None: in Smart Coach with no score yet; a learner in
    ``not_in_smart_coach``: Smart Coach answers 404), and the progress on its enrolments.

    ``deleted`` holds what was deleted by hand, by (kind, id), to restore (``sandbox.sa.deletions``);
    ``snapshots`` holds copies of SA's data by id (``image``, ``load``).
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.tokens = TokenStore()
        self.credentials_revoked = False  # the token endpoint refuses every request until reset
        self.learners = Table(unique=("misId",), indexed=("uln",))
        self.employers = Table(
            unique=("misId",),
            indexed=("edrsNumber", "postcode"),
            fold={"postcode": fold_postcode},
            first_id=FIRST_EMPLOYER_ID,
        )
        self.assessors = Table(
            unique=("misId",), indexed=("email",), fold={"email": fold_case}, first_id=FIRST_ASSESSOR_ID
        )
        self.courses = Table(unique=("qanCode",), first_id=FIRST_COURSE_ID)
        self.enrolments = Table(indexed=("learnerId", "misId"), first_id=FIRST_ENROLMENT_ID)
        self.sessions = Table(indexed=("learnerId", "learnerIds"), first_id=FIRST_SESSION_ID)
        self.otj_actual_hours: dict[str, float] = {}
        self.smart_coach_scores: dict[str, float | None] = {}
        self.not_in_smart_coach: set[str] = set()
        self.last_simulation: dict[str, int] = {}  # what the last simulate-activity did, in counts
        self.welcome_emails: list[Record] = []
        self.deleted: dict[tuple[str, Any], Deleted] = {}
        self.snapshots: dict[str, StateImage] = {}
        self.calls = CallLog()
        self.faults = Faults(config)
        self.replace_courses(DEFAULT_CATALOGUE)

    def reconfigure(self, **changes: Any) -> SandboxConfig:
        """Change run-time settings; tokens issued earlier keep their expiry."""
        self.config = dataclasses.replace(self.config, **changes)
        self.faults.reconfigure(self.config)
        return self.config

    def revoke_credentials(self) -> None:
        """Forget every token and refuse to issue new ones, as SA does once the integration's access is revoked."""
        self.tokens.revoke_all()
        self.credentials_revoked = True

    def replace_courses(self, courses: Iterable[Mapping[str, str]]) -> list[Record]:
        """Make ``courses`` ({qanCode, title}) the catalogue, numbered from FIRST_COURSE_ID."""
        self.courses.clear()
        for course in courses:
            self.courses.insert(dict(course))
        return self.courses.all()

    def image(self) -> StateImage:
        """A copy of SA's data (``SNAPSHOT_TABLES`` and the activity) that later writes leave alone."""
        tables = {name: self._table(name).image() for name in SNAPSHOT_TABLES}
        scores, outside = dict(self.smart_coach_scores), frozenset(self.not_in_smart_coach)
        return StateImage(tables, dict(self.otj_actual_hours), scores, outside)

    def load(self, image: StateImage) -> None:
        """Make SA's data exactly ``image``, as SA restored from that backup.

        Each table numbers on from the counter it had then, as a database's sequences restored from a
        backup do: an id handed out since the backup is handed out again, to whatever SA creates next.
        """
        for name, table in image.tables.items():
            self._table(name).load(table)
        self.otj_actual_hours.clear()
        self.otj_actual_hours.update(image.otj_actual_hours)
        self.smart_coach_scores.clear()
        self.smart_coach_scores.update(image.smart_coach_scores)
        self.not_in_smart_coach.clear()
        self.not_in_smart_coach.update(image.not_in_smart_coach)

    def reset(self) -> None:
        """Forget every record, deletion, snapshot and call, restore the default catalogue, accept the
        credentials again; keep configuration and tokens."""
        for table in (self.learners, self.employers, self.assessors, self.enrolments, self.sessions):
            table.clear()
        activity: tuple[list[Record] | dict[Any, Any] | set[str], ...] = (
            self.welcome_emails, self.otj_actual_hours, self.smart_coach_scores, self.not_in_smart_coach,
            self.last_simulation, self.deleted, self.snapshots,
        )  # fmt: skip
        for kept in activity:
            kept.clear()
        self.replace_courses(DEFAULT_CATALOGUE)
        self.calls.clear()
        self.credentials_revoked = False
        self.faults.reconfigure(self.config)

    def _table(self, name: str) -> Table:
        table: Table = getattr(self, name)
        return table


def sandbox_state(request: Request) -> SandboxState:
    """The state of the app serving ``request``."""
    state: SandboxState = request.app.state.sandbox
    return state
