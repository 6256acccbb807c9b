"""X1's question asked by many workers at once is one read (``sync_core.state.coalesced``), never an old one."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from sync_core.errors import DatabaseUnavailable
from sync_core.state.coalesced import Coalesced

TABLE = {f"learner:g{n}#email": f"h{n}" for n in range(20)}


class SlowTable:
    """A read that holds its first call until told, so questions pile up behind it; records what each read asked."""

    def __init__(self, fail: bool = False, interrupt: bool = False) -> None:
        self.reads: list[list[str]] = []
        self.first_started, self.release = threading.Event(), threading.Event()
        self.fail, self.interrupt = fail, interrupt

    def __call__(self, keys: list[str]) -> Mapping[str, str]:
        self.reads.append(keys)
        if len(self.reads) == 1:
            self.first_started.set()
            self.release.wait(5)
        elif len(self.reads) == 2 and self.interrupt:  # the read for those who waited
            raise KeyboardInterrupt
        if self.fail:
            raise DatabaseUnavailable("the database is unavailable: NoAnswer")
        return {key: TABLE[key] for key in keys if key in TABLE}


def _ask_while_the_first_read_is_held(table: SlowTable, askers: int) -> list[dict[str, str] | BaseException]:
    coalesced = Coalesced(table)
    answers: list[dict[str, str] | BaseException] = [{}] * (askers + 1)

    def ask(n: int) -> None:
        keys = [f"learner:g{n}#email", "learner:absent#email"]
        try:
            answers[n] = coalesced.ask(keys)
        except BaseException as failed:
            answers[n] = failed

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert table.first_started.wait(5)
    others = [threading.Thread(target=ask, args=(n,)) for n in range(1, askers + 1)]
    for thread in others:
        thread.start()
    while len(coalesced._waiting) < askers:  # every later question is waiting behind the held read
        threading.Event().wait(0.001)
    table.release.set()
    for thread in [first, *others]:
        thread.join(5)
    return answers


def test_x1_questions_asked_during_a_read_are_answered_by_one_read_after_it() -> None:
    table = SlowTable()
    answers = _ask_while_the_first_read_is_held(table, askers=6)
    assert len(table.reads) == 2  # the first, then one for the six that waited
    assert sorted(table.reads[1]) == sorted({f"learner:g{n}#email" for n in range(1, 7)} | {"learner:absent#email"})
    assert answers == [{f"learner:g{n}#email": f"h{n}"} for n in range(7)]  # each its own keys, absent ones left out


def test_x1_a_failed_read_fails_every_question_it_was_to_answer() -> None:
    table = SlowTable(fail=True)
    answers = _ask_while_the_first_read_is_held(table, askers=3)
    assert all(isinstance(answer, DatabaseUnavailable) for answer in answers)


def test_x1_one_question_alone_is_one_read_of_its_keys() -> None:
    table = SlowTable()
    table.release.set()
    assert Coalesced(table).ask(["learner:g3#email"]) == {"learner:g3#email": "h3"}
    assert table.reads == [["learner:g3#email"]]


def test_x1_an_interrupt_of_the_reading_worker_is_its_own_and_the_others_are_answered() -> None:
    """KeyboardInterrupt (or SystemExit) in the read a worker makes for the others ends that worker only: the
    questions it was to answer are asked again, by the first of them, and answered."""
    table = SlowTable(interrupt=True)
    answers = _ask_while_the_first_read_is_held(table, askers=4)
    interrupted = [n for n, answer in enumerate(answers) if isinstance(answer, KeyboardInterrupt)]
    assert len(interrupted) == 1 and interrupted[0] != 0
    assert all(answers[n] == {f"learner:g{n}#email": f"h{n}"} for n in range(5) if n not in interrupted)
    assert len(table.reads) == 3  # the held one, the interrupted one, and one more for the other three
