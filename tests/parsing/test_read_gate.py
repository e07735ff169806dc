"""ReadGate: shared holders together, an exclusive holder alone, no starvation of exclusive."""

from __future__ import annotations

import threading

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
