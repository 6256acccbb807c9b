"""Turns a plan into Smart Assessor calls.

Refs are resolved from the steps before them; Ensure steps link or create (``sync_core.execute.ensure``);
an Update sends only the fields whose value differs from the one last pushed for that field, and
makes no call when none does (X1 v2). What was pushed is remembered as an HMAC of each field's
value under the deployment's key (``ExecutorPorts.hash_key``), so that ``sync.pushed_state`` alone
does not give a value away to someone who guesses it (a lone ``disability`` has few values). A dry
run makes reads only and lists the writes it would make.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sync_core.errors import MappingError, SaTimedOut
from sync_core.execute import ensure
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
    Update,
)
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


@dataclass
class _Run:
    ports: ExecutorPorts
    dry_run: bool
    force: bool
    resolved: dict[tuple[str, str], str] = field(default_factory=dict)
    created: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # SA id → content it was created with
    pushed: dict[str, str] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    sa_calls: int = 0

    def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
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
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def execute(plan: Plan, ports: ExecutorPorts, *, dry_run: bool = False, force: bool = False) -> Effects:
    """Make the plan's SA calls. ``force`` pushes even unchanged content; ``dry_run`` writes nothing."""
    run = _Run(ports, dry_run, force)
    for step in plan:
        match step:
            case EnsureEmployer() | EnsureAssessor() | EnsureLearner() | EnsureEnrolment():
                _ensure(run, _natural(run, step))
            case Update():
                _update(run, step)
            case Report(reason=reason, rule=rule):
                run.reports.append(f"{reason} ({rule})")
    return Effects(run.sa_calls, run.pushed, tuple(run.writes), tuple(run.reports))


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


def _ensure(run: _Run, spec: Natural) -> None:
    key = (spec.entity, spec.pics_id)
    if key in run.resolved:
        return
    sa_id = spec.held_by_pics or run.ports.links.sa_id(*key)
    if sa_id is None and run.dry_run:  # a dry run calls nothing, not even SA's search
        run.writes.append(f"link or create {spec.entity}")
        sa_id = f"(new {spec.entity} {spec.pics_id})"
    elif sa_id is None:
        with run.ports.guard.guard(*key):
            run.ports.doubts.wait_out(_creating(spec))  # a create that timed out may land yet: find it
            sa_id = run.ports.links.sa_id(*key) or find_existing(spec) or _create(run, spec)
    if not run.dry_run:
        run.ports.links.link(spec.entity, spec.pics_id, sa_id)
        if sa_id != spec.held_by_pics:
            run.ports.pics.write_back(spec.entity, spec.pics_id, sa_id)
    run.resolved[key] = sa_id


def _create(run: _Run, spec: Natural) -> str:
    run.ports.checkpoint(f"before_sa_create:{spec.entity}")
    created = run.write(f"create {spec.entity}", spec.create, doubt=_creating(spec))
    run.ports.checkpoint(f"after_sa_create:{spec.entity}")
    run.created[str(created["id"])] = created
    return str(created["id"])


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


def _unheld(run: _Run, kind: str, target: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """X1 v2: the fields whose value differs from the one last pushed for that same field."""
    key = run.ports.hash_key
    wanted = {field_resource(kind, target, name): content_hash({name: value}, key) for name, value in fields.items()}
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


def _update(run: _Run, step: Update) -> None:
    target = str(_resolve(run, step.target))
    fields = _unheld(run, step.kind, target, _resolved_fields(run, step.fields))
    if not fields:
        return  # X1: SA already holds exactly this from us
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
