"""Exception hierarchy. Every message has the form ``"<artifact>: <what is wrong>"``.

Messages never contain a sampled data value, a password or a token: only names of files,
members, elements and settings.
"""

from __future__ import annotations


class TableauAuditError(Exception):
    """Base class of every error the tool raises on purpose."""


class ConfigError(TableauAuditError):
    """The configuration file or a command-line option is invalid."""


class SourceError(TableauAuditError):
    """An input source (file system, server) could not be read."""


class ServerError(SourceError):
    """Tableau Server / Cloud answered with an error that stops the run."""


class AuthenticationError(ServerError):
    """Signing in to Tableau Server / Cloud failed."""


class ParseError(TableauAuditError):
    """One input could not be audited. Becomes a TA901 finding and a ``skipped`` entry."""

    def __init__(self, artifact: str, reason: str) -> None:
        super().__init__(f"{artifact}: {reason}")
        self.artifact = artifact
        self.reason = reason


class ReportError(TableauAuditError):
    """A report could not be rendered or written."""


def traceback_without_message(error: BaseException) -> str:
    """The stack of an unexpected error and its type, without its message.

    Exception messages can quote what they choke on (``invalid literal for int(): '078-05-…'``),
    so logs only ever get the frames, which show our code, and the exception's type.
    """
    import traceback

    frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
    return f"Traceback (most recent call last):\n{frames}{type(error).__name__}"
