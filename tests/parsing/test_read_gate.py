"""ReadGate: shared holders together, an exclusive holder alone, no starvation of exclusive."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tableau_audit.parsing.read_gate import ReadGate

TIMEOUT = 5.0


def test_shared_holders_hold_the_gate_together() -> None:
    gate = ReadGate()
    both_inside = threading.Barrier(2, timeout=TIMEOUT)

    def reader() -> None:
        with gate.shared():
            both_inside.wait()  # raises BrokenBarrierError if the second could not enter

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    assert not both_inside.broken


def test_exclusive_waits_for_shared_and_keeps_new_shared_out() -> None:
    gate = ReadGate()
    events: list[str] = []
    shared_in, exclusive_waiting, release_shared = (threading.Event() for _ in range(3))

    def first_reader() -> None:
        with gate.shared():
            shared_in.set()
            release_shared.wait(TIMEOUT)
            events.append("shared 1 leaves")

    def writer() -> None:
        shared_in.wait(TIMEOUT)
        exclusive_waiting.set()
        with gate.exclusive():
            events.append("exclusive")

    def late_reader() -> None:
        exclusive_waiting.wait(TIMEOUT)
        while not gate._exclusive:  # the writer has announced itself: the gate is closing
            threading.Event().wait(0.001)
        with gate.shared():
            events.append("shared 2")

    threads = [threading.Thread(target=f) for f in (first_reader, writer, late_reader)]
    for thread in threads:
        thread.start()
    exclusive_waiting.wait(TIMEOUT)
    threading.Event().wait(0.05)
    assert events == []  # the writer waits for the first reader; the late reader waits too
    release_shared.set()
    for thread in threads:
        thread.join(TIMEOUT)
    assert events == ["shared 1 leaves", "exclusive", "shared 2"]


def test_an_exclusive_wait_interrupted_lets_shared_holders_in_again() -> None:
    gate = ReadGate()
    waits = 0
    wait_for = gate._changed.wait_for

    def interrupted_second_wait(
        predicate: Callable[[], bool], timeout: float | None = None
    ) -> bool:
        nonlocal waits
        waits += 1
        if waits == 2:  # the exclusive request waiting for the shared holder to leave
            raise KeyboardInterrupt
        return wait_for(predicate, timeout)

    holder = gate.shared()
    holder.__enter__()
    gate._changed.wait_for = interrupted_second_wait  # type: ignore[method-assign,assignment]
    with pytest.raises(KeyboardInterrupt), gate.exclusive():
        pass
    gate._changed.wait_for = wait_for  # type: ignore[method-assign]
    holder.__exit__(None, None, None)
    entered = threading.Event()

    def reader() -> None:
        with gate.shared():
            entered.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert entered.wait(5), "a shared reader was locked out after the interrupted wait"
