"""Turns a plan into Smart Assessor calls.

Refs are resolved from the steps before them; Ensure steps link or create (``sync_core.execute.ensure``);
an Update sends only the fields whose value differs from the one last pushed for that field, and
makes no call when none does (X1 v2). What was pushed is remembered as an HMAC of each field's
value under the deployment's key (``ExecutorPorts.hash_key``), so that ``sync.pushed_state`` alone
does not give a value away to someone who guesses it (a lone ``disability`` has few values). A dry
run makes reads only and lists the writes it would make. With ``compare`` the plan runs against SA's
current records instead of that memo (``sync_core.execute.compare_mode``: D1, D2, D4, R1 v2).
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sync_core.drift.compare import Difference, differing
from sync_core.errors import MappingError, SaNotFound, SaTimedOut
from sync_core.execute import compare_mode, ensure
from sync_core.execute.compare_mode import SaRecords
from sync_core.execute.ensure import Natural, find_existing
from sync_core.execute.protocols import CreationGuard, LinkStore, PicsWriteBack, PushedState, SaApi, no_checkpoint
from sync_core.fencing import UNFENCED, Fence
from sync_core.plan import (
    EnsureAssessor,
    EnsureEmployer,
    EnsureEnrolment,
    EnsureLearner,
    Plan,
    Ref,
    Report,
    ReportOrphanEnrolments,
    SaId,
    Update,
)
from sync_core.smart_assessor.at_once import AtOnce
from sync_core.smart_assessor.in_doubt import NO_DOUBTS, InDoubtWrites

NUMERIC_IDS = frozenset({"employer", "assessor"})  # SA numbers these; learners have GUIDs


@dataclass(frozen=True)
class ExecutorPorts:
    """What executing a plan talks to."""

    sa: SaApi
    hashes: PushedState
    links: LinkStore
    guard: CreationGuard
    pics: PicsWriteBack
    checkpoint: Callable[[str], None] = no_checkpoint  # a fault hook for crash tests
    doubts: InDoubtWrites = NO_DOUBTS  # writes that timed out and may still land in SA
    fence: Fence = UNFENCED  # set once the work's partition generation is gone: no SA write after that
    # The HMAC key of the pushed-state hashes (``sync_core.state.hash_key``); required, so none is forgotten.
    hash_key: bytes = field(kw_only=True, repr=False)
    # Compare mode reads SA's records the plan names at once with these (None: in turn, as it goes).
    at_once: AtOnce | None = field(default=None, kw_only=True)

    def fenced(self, fence: Fence) -> ExecutorPorts:
        """These ports for the works of one partition generation: SA writes and waits check ``fence``."""
        return replace(self, fence=fence, doubts=self.doubts.fenced(fence))


@dataclass(frozen=True)
class Effects:
    """What executing a plan did (or, in a dry run, would do)."""

    sa_calls: int = 0
    pushed: Mapping[str, str] = field(default_factory=dict)  # SA resource → content hash
    calls: tuple[str, ...] = ()  # the SA writes made or planned, e.g. "POST /employers"
    reports: tuple[str, ...] = ()
    pics_rows_changed: int = 0  # the pull side: PICS rows that really changed (P12)
    differences: tuple[Difference, ...] = ()  # compare mode: what SA did not hold, and what was done (D3)


@dataclass
class _Run:
    ports: ExecutorPorts
    dry_run: bool
    force: bool
    compare: bool
    resolved: dict[tuple[str, str], str] = field(default_factory=dict)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)  # SA id → content it was created with
    pushed: dict[str, str] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    ensured: dict[tuple[str, str], Natural] = field(default_factory=dict)  # how each was found: D7 looks again
    sa_calls: int = 0
    sa_records: SaRecords = field(init=False)  # compare mode: SA's records as this run read them
    _counting: threading.Lock = field(default_factory=threading.Lock)  # compare mode reads on other threads

    def __post_init__(self) -> None:
        self.sa_records = SaRecords(self.ports.sa, self.read)

    def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self._counting:
            self.sa_calls += 1
        return fn(*args, **kwargs)

    def write(self, label: str, fn: Callable[..., Any], *args: Any, doubt: str) -> Any:
        """One SA write; ``doubt`` names what it changes, remembered if SA may apply it late.

        Abandons the work instead when its partition generation is gone (``sync_core.fencing``).
        """
        self.ports.fence.check()
        self.writes.append(label)
        try:
            return self.read(fn, *args)
        except SaTimedOut:
            self.ports.doubts.timed_out(doubt)
            raise


def content_hash(fields: Mapping[str, Any], key: bytes) -> str:
    """A stable keyed hash (HMAC-SHA-256) of pushed content: same key, fields and values, same hash."""
    return hmac.digest(key, _CANONICAL.encode(fields).encode(), "sha256").hex()


# One encoder for every hash (``json.dumps`` with options builds one each call), and the one-shot HMAC:
# about a fifth less CPU for each of the ten or so field hashes of an event.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def execute(
    plan: Plan,
    ports: ExecutorPorts,
    *,
    dry_run: bool = False,
    force: bool = False,
    compare: bool = False,
    found: list[Difference] | None = None,
) -> Effects:
    """Make the plan's SA calls. ``force`` pushes even unchanged content; ``dry_run`` writes nothing;
    ``compare`` sends what SA's current records do not hold, whatever was pushed before (``force`` then
    changes nothing: SA is read anyway), and returns each difference; ``found`` is filled with them as they
    are found, so a caller still has them when a write raises (that write's marked "failed")."""
    run = _Run(ports, dry_run, force, compare)
    if found is not None:
        run.differences = found
    if compare and ports.at_once is not None:
        _read_ahead(run, plan, ports.at_once)
    for step in plan:
        match step:
            case EnsureEmployer() | EnsureAssessor() | EnsureLearner() | EnsureEnrolment():
                spec = _natural(run, step)
                _ensure(run, spec, _gone(run, step, spec))
            case Update():
                _update(run, step)
            case Report(reason=reason, rule=rule):
                run.reports.append(f"{reason} ({rule})")
            case ReportOrphanEnrolments() if compare:
                _report_orphans(run, step)
    return Effects(run.sa_calls, run.pushed, tuple(run.writes), tuple(run.reports), differences=tuple(run.differences))


def _read_ahead(run: _Run, plan: Plan, at_once: AtOnce) -> None:
    """Compare mode: the linked SA records the plan will compare with, read at once (``sync_core.smart_assessor.
    at_once``) into the run's ``SaRecords``, not in turn as its steps come to them. A read that fails here
    is left out: its step reads it again in turn and meets its error there, as it would have."""
    reads: dict[str, Callable[[], Any]] = {}
    for step in plan:
        match step:
            case EnsureEmployer() | EnsureAssessor() | EnsureLearner():
                spec = _natural(run, step)
                sa_id = spec.held_by_pics or run.ports.links.sa_id(spec.entity, spec.pics_id)
                if sa_id is not None:
                    reads[f"{spec.entity}:{sa_id}"] = partial(run.sa_records.held, spec.entity, sa_id, None)
            case EnsureEnrolment(learner=learner):
                with suppress(MappingError):  # a learner this plan creates has no enrolments to read
                    learner_id = str(_resolve(run, learner))
                    reads[f"enrolments:{learner_id}"] = partial(run.sa_records.enrolments_of, learner_id)
    if len(reads) < 2:
        return  # nothing to gain
    for answer in at_once.started(reads).values():
        with suppress(Exception):
            answer()


def _resolve(run: _Run, value: Any) -> Any:
    if not isinstance(value, Ref):
        return value
    key = (value.entity, value.pics_id)
    sa_id = run.resolved.get(key) or run.ports.links.sa_id(*key)
    if sa_id is None:
        raise MappingError(f"no Smart Assessor {value.entity} is linked to PICS record {value.pics_id}")
    return int(sa_id) if value.entity in NUMERIC_IDS and sa_id.isdigit() else sa_id


def _resolved_fields(run: _Run, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _resolve(run, value) for name, value in fields.items()}


def _gone(
    run: _Run, step: EnsureEmployer | EnsureAssessor | EnsureLearner | EnsureEnrolment, spec: Natural
) -> Callable[[str], bool]:
    """D7: whether SA no longer holds a linked record (SA restored from an older backup, a record deleted by
    hand). Asked of SA's records against them (compare: the daily run, a refresh) and when forced (``replay
    --force``, the recovery for a restored SA); elsewhere a link is trusted, and an Update SA answers not
    found for is looked for again then (``_relinked``)."""
    learner = str(_resolve(run, step.learner)) if isinstance(step, EnsureEnrolment) else None
    if learner in run.created:  # made by this plan (or a dry run's stand-in): a linked enrolment is another's
        return lambda _sa_id: True
    if not (run.compare or run.force):
        return lambda _sa_id: False
    if learner is not None:
        return lambda sa_id: compare_mode.gone_enrolment(run.sa_records, learner, sa_id, spec.ours)

    def gone(sa_id: str) -> bool:
        ours = _ours(run, spec, sa_id)
        return sa_id not in run.created and compare_mode.gone(run.sa_records, spec.entity, sa_id, ours)

    return gone


def _ours(run: _Run, spec: Natural, sa_id: str) -> Callable[[Mapping[str, Any]], bool]:
    """How a record SA holds under ``sa_id`` is judged still ``spec``'s (D7). PICS's own Additional ID names
    the SA employer or assessor a person chose (U2, U3): SA's "not found" unsettles it, and when forced (the
    recovery for a restored SA, which numbers its records on from the backup's counters) so does a record
    SA made since for another PICS record. A learner's id is a GUID no other record is given."""
    if not (sa_id == spec.held_by_pics and spec.entity in NUMERIC_IDS):
        return spec.ours
    return partial(ensure.not_anothers, spec) if run.force else ensure.anything


def _ensure(run: _Run, spec: Natural, gone: Callable[[str], bool]) -> None:
    key = (spec.entity, spec.pics_id)
    if key in run.resolved:
        return
    sa_id = spec.held_by_pics or run.ports.links.sa_id(*key)
    stale = sa_id is not None and gone(sa_id)
    if stale:
        sa_id = None  # looked for again by MIS id, and enrolled when SA has none
    if sa_id is None and run.dry_run:  # no SA call; against SA's records a search, as the real run's (D4)
        sa_id = (find_existing(spec) if run.compare else None) or _would_create(run, spec)
    elif sa_id is None:
        with run.ports.guard.guard(*key):
            run.ports.doubts.wait_out(_creating(spec))  # a create that timed out may land yet: find it
            linked = None if stale else run.ports.links.sa_id(*key)  # another worker's, made meanwhile
            sa_id = linked or find_existing(spec) or _create(run, spec)
    if not run.dry_run:
        run.ports.links.link(spec.entity, spec.pics_id, sa_id)
        if sa_id != spec.held_by_pics:
            run.ports.pics.write_back(spec.entity, spec.pics_id, sa_id)
    run.resolved[key], run.ensured[key] = sa_id, spec


def _relinked(run: _Run, target: SaId) -> bool:
    """D7: SA answered not found for a record this plan ensured: it is looked for again (MIS id, natural
    key) and linked, or created, under the creation guard (U10). False when there is nothing to relink."""
    key = (target.entity, target.pics_id) if isinstance(target, Ref) else None
    if key is None or key not in run.ensured:
        return False
    gone = run.resolved.pop(key)
    run.pushed = {resource: h for resource, h in run.pushed.items() if not resource.startswith(f"{key[0]}:{gone}#")}
    _ensure(run, run.ensured[key], lambda sa_id: sa_id == gone)
    return run.resolved[key] != gone


def _create(run: _Run, spec: Natural) -> str:
    run.ports.checkpoint(f"before_sa_create:{spec.entity}")
    created = run.write(f"create {spec.entity}", spec.create, doubt=_creating(spec))
    run.ports.checkpoint(f"after_sa_create:{spec.entity}")
    run.created[str(created["id"])] = dict(created)
    if run.compare:
        run.differences += compare_mode.created(spec.entity, spec.pics_id, str(created["id"]))
    return str(created["id"])


def _would_create(run: _Run, spec: Natural) -> str:
    """A dry run's stand-in for a record the real run would create (or, without ``compare``, find or create)."""
    run.writes.append(f"create {spec.entity}" if run.compare else f"link or create {spec.entity}")
    sa_id = f"(new {spec.entity} {spec.pics_id})"
    run.created[sa_id] = dict(spec.fields()) if run.compare else {}  # what SA would hold once it is made
    if run.compare:
        run.differences += compare_mode.created(spec.entity, spec.pics_id, None)
    return sa_id


def _creating(spec: Natural) -> str:
    return f"create {spec.entity}:{spec.pics_id}"


def _natural(run: _Run, step: EnsureEmployer | EnsureAssessor | EnsureLearner | EnsureEnrolment) -> Natural:
    sa, call = run.ports.sa, run.read
    match step:
        case EnsureEmployer(organisation=org):
            return ensure.employer(sa, call, org)
        case EnsureAssessor(officer=officer):
            return ensure.assessor(sa, call, officer)
        case EnsureLearner(learner_ident=ident, fields=fields, sa_id=held):
            return ensure.learner(sa, call, ident, held, partial(_resolved_fields, run, fields))
        case EnsureEnrolment(learner=learner, qualification_id=qid, fields=fields):
            learner_id = str(_resolve(run, learner))
            return ensure.enrolment(sa, call, learner_id, qid, partial(_resolved_fields, run, fields))
    raise AssertionError(f"not an Ensure step: {step!r}")


def _holds(record: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    return bool(record) and all(name in record and record[name] == value for name, value in fields.items())


def field_resource(kind: str, target: str, name: str) -> str:
    """X1 v2: the pushed-state key of one field of one SA record (``learner:<id>#email``)."""
    return f"{kind}:{target}#{name}"


def _hashes(run: _Run, kind: str, target: str, fields: Mapping[str, Any]) -> dict[str, str]:
    key = run.ports.hash_key
    return {field_resource(kind, target, name): content_hash({name: value}, key) for name, value in fields.items()}


def _unheld(run: _Run, kind: str, target: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """X1 v2: the fields whose value differs from the one last pushed for that same field."""
    wanted = _hashes(run, kind, target, fields)
    held = set() if run.force else run.ports.hashes.holding(wanted)
    run.pushed.update({resource: digest for resource, digest in wanted.items() if resource not in held})
    if run.force:
        return dict(fields)
    just_created = run.created.get(target, {})
    return {
        name: value
        for (name, value), resource in zip(fields.items(), wanted, strict=True)
        if resource not in held and not _holds(just_created, {name: value})
    }


def _against_sa(run: _Run, step: Update, target: str, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """D1: the fields SA's current record does not hold, each a Difference, whatever X1's memo says (it
    would hide a hand edit in SA); the memo then learns every field, since SA holds them all after this."""
    learner = None if step.learner is None else str(_resolve(run, step.learner))
    held = run.created[target] if target in run.created else run.sa_records.held(step.kind, target, learner)
    fields = differing(wanted, held, step.kind)
    pics_id = compare_mode.pics_id_of(step.target, held)
    run.differences += compare_mode.pushed(step.kind, f"{step.kind}:{target}", pics_id, fields, dry_run=run.dry_run)
    run.pushed.update(_hashes(run, step.kind, target, wanted))
    held.update(fields)  # a later step of this plan compares with what this one sends
    return fields


def _report_orphans(run: _Run, step: ReportOrphanEnrolments) -> None:
    learner = str(_resolve(run, step.learner))
    if learner in run.created:
        return  # a learner created by this plan has only the enrolments the plan made
    found = compare_mode.orphans(run.sa_records.enrolments_of(learner), step)
    run.differences += found
    run.reports += [f"{d.sa_resource} is none of the learner's PICS qualifications (D2)" for d in found]


def _update(run: _Run, step: Update, *, afresh: bool = False) -> None:
    """Send what SA does not hold (X1, or D1 in compare mode); ``afresh``: every field, to a record just
    relinked (D7: what SA holds there is no longer what we pushed)."""
    target = str(_resolve(run, step.target))
    wanted = _resolved_fields(run, step.fields)
    found = len(run.differences)
    if run.compare:
        fields = _against_sa(run, step, target, wanted)
    elif afresh:
        fields = dict(wanted)
        run.pushed.update(_hashes(run, step.kind, target, wanted))
    else:
        fields = _unheld(run, step.kind, target, wanted)
    if not fields:
        return  # X1: SA already holds exactly this from us
    try:
        _send(run, step, target, fields)
    except SaNotFound:
        if afresh or not _relinked(run, step.target):
            _failed(run, found)
            raise
        _update(run, step, afresh=True)
    except Exception:
        _failed(run, found)
        raise


def _failed(run: _Run, found: int) -> None:
    """D3: what a write was to repair is a difference that failed; the caller records it if it parks."""
    run.differences[found:] = [replace(d, action="failed") for d in run.differences[found:]]


def _send(run: _Run, step: Update, target: str, fields: Mapping[str, Any]) -> None:
    write, record = f"update {step.kind}", f"{step.kind}:{target}"
    if run.dry_run:
        run.writes.append(write)
    elif step.kind == "enrolment":
        _write_last(run, record, write, run.ports.sa.update_enrolment, str(_resolve(run, step.learner)), target, fields)
    else:
        updater = {"learner": run.ports.sa.update_learner, "employer": run.ports.sa.update_employer,
                   "assessor": run.ports.sa.update_assessor}[step.kind]  # fmt: skip
        _write_last(run, record, write, updater, target, fields)


def _write_last(run: _Run, resource: str, label: str, fn: Callable[..., Any], *args: Any) -> None:
    """Write, and write again once an earlier copy that timed out can no longer land after it."""
    started = run.ports.doubts.now()
    run.write(label, fn, *args, doubt=resource)
    if run.ports.doubts.wait_out(resource, written_at=started):
        run.write(label, fn, *args, doubt=resource)
