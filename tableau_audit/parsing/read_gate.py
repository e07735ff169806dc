"""A gate for readers that share a resource, and the occasional one that needs it alone.

:class:`~tableau_audit.parsing.hyper.HyperSession` lets several threads read extracts through
one hyperd at once (:meth:`ReadGate.shared`). When hyperd dies during a read, nobody can tell
which of the files being read killed it, so each affected file is read again alone
(:meth:`ReadGate.exclusive`): the one that kills hyperd again is the culprit, the others read
normally. The outcome for every file is then what a one-thread run would give, whatever the
timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ReadGate"]


class ReadGate:
    """Many shared holders at a time, or one exclusive holder and nobody else.

    An exclusive request waits for the shared holders to leave and keeps new ones out until
    it is done, so a stream of shared readers cannot starve it. Not re-entrant: a thread must
    leave :meth:`shared` before it asks for :meth:`exclusive`.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared = 0
        self._exclusive = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the gate alongside other shared holders."""
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive)
            self._shared += 1
        try:
            yield
        finally:
            with self._changed:
                self._shared -= 1
                self._changed.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the gate alone (waits for every shared holder to leave)."""
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive)
            self._exclusive = True
            try:
                self._changed.wait_for(lambda: self._shared == 0)
            except BaseException:  # NOTE: interrupted while waiting: let the readers in again
                self._exclusive = False
                self._changed.notify_all()
                raise
        try:
            yield
        finally:
            with self._changed:
                self._exclusive = False
                self._changed.notify_all()
