"""Why a .hyper file could not be read, in words of our own.

Reasons come from a fixed vocabulary (:func:`describe`); Hyper's own messages are never copied,
because some of them quote data (``invalid input syntax for integer: '<value>'``).
"""

from __future__ import annotations

__all__ = ["ReadFailure", "describe"]

# (lower-case fragment of Hyper's message, what we say instead). Only our text is ever used.
_KNOWN_FAILURES: tuple[tuple[str, str], ...] = (
    ("file is truncated", "the file is truncated"),
    ("invalid header checksum", "the file is corrupt (invalid header checksum)"),
    ("physically corrupted", "the file is corrupt (damaged data block)"),
    ("not a valid database", "not a valid Hyper database (corrupt or truncated header)"),
    ("version", "unsupported .hyper file version"),
)


class ReadFailure(Exception):
    """A file, or a part of it, could not be read. ``reason`` is ours, never Hyper's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe(error: BaseException, stage: str) -> str:
    """``<stage>: <what>``, ``what`` from the fixed vocabulary (Hyper's message is never echoed)."""
    if isinstance(error, UnicodeDecodeError):
        what = "the file is corrupt (undecodable text)"
    else:
        message = str(getattr(error, "main_message", "") or "").casefold()
        what = next(
            (ours for fragment, ours in _KNOWN_FAILURES if fragment in message),
            f"unexpected Hyper error ({type(error).__name__})",
        )
    return f"{stage}: {what}"
