"""Retries and re-sign-in for tableauserverclient (rest-api.md §3).

TSC never retries and never signs in again. Two layers make a long run survive:

* HTTP: every thread's ``requests.Session`` gets an ``HTTPAdapter`` whose urllib3 ``Retry``
  repeats 429 and 5xx answers with exponential backoff, honouring ``Retry-After`` (capped, so a
  server asking for 29 minutes cannot stall a run silently). TSC and ``TSC.Pager`` see only
  the final answer. This is the recipe verified in rest-api.md §3.
* Session: :class:`SignedIn` signs in, and when a call fails with 401002 (token expired or
  revoked) signs in again, once for all threads, and repeats the call.

Secrets stay inside the TSC credential object; no message or log line here ever names them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tableau_audit.errors import AuthenticationError, ServerError
from tableau_audit.records import frozen

__all__ = ["TOKEN_EXPIRED", "RetryPolicy", "SignedIn", "session_factory"]

logger = logging.getLogger(__name__)

TOKEN_EXPIRED = "401002"  # noqa: S105 - an error code, not a credential
"""Tableau's error code for an expired, revoked or unknown session token."""

T = TypeVar("T")


@frozen
class RetryPolicy:
    """How hard to try before an item (or the run) counts as failed."""

    retries: int = 5
    """Repeats of one HTTP request answered with a retryable status or a connection error."""
    backoff_factor: float = 0.5
    """Exponential backoff: 0, 2×, 4×, ... this many seconds between repeats."""
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    """Longest ``Retry-After`` honoured; longer requests wait this long, then try again."""
    statuses: tuple[int, ...] = (429, 500, 502, 503, 504)
    reauth_attempts: int = 3
    """Consecutive re-sign-ins allowed for one call before the run stops."""


class _CappedRetry(Retry):
    """``Retry`` with ``Retry-After`` capped (works on every urllib3 2.x)."""

    cap: ClassVar[float] = 120.0

    def get_retry_after(self, response: Any) -> float | None:
        """The server's ``Retry-After``, never longer than :attr:`cap` seconds."""
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.cap)


def _retry(policy: RetryPolicy) -> Retry:
    capped = type("CappedRetry", (_CappedRetry,), {"cap": policy.max_retry_after})
    retry: Retry = capped(
        total=policy.retries,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        status_forcelist=policy.statuses,
        # NOTE: POST is safe to repeat here: the auditor only POSTs sign-in and sign-out.
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # hand the last answer to TSC, which raises its own error
    )
    return retry


def session_factory(policy: RetryPolicy, *, pool_size: int) -> Callable[[], requests.Session]:
    """A factory TSC calls once per thread: a ``requests.Session`` with retries."""

    def make() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(
            max_retries=_retry(policy), pool_connections=pool_size, pool_maxsize=pool_size
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    return make


def is_token_expired(error: BaseException) -> bool:
    """True for TSC's ``FailedSignInError`` / ``NotSignedInError`` with code 401002."""
    return getattr(error, "code", None) == TOKEN_EXPIRED


class SignedIn:
    """A signed-in TSC ``Server`` shared by worker threads, re-signed in on 401002.

    TSC 0.42's ``Server`` is documented thread-safe (one ``requests.Session`` per thread,
    immutable auth state swapped atomically), so one instance serves every worker; only
    re-sign-in needs a lock, and a thread that saw an old token skips signing in again when
    another thread already did.
    """

    def __init__(self, server: Any, auth: Any, *, label: str, policy: RetryPolicy) -> None:
        self.server = server
        self._auth = auth
        self._label = label
        self._policy = policy
        self._lock = threading.Lock()
        self.sign_ins = 0

    def sign_in(self) -> None:
        """Sign in; :class:`AuthenticationError` (one line, no secret) when refused."""
        from tableauserverclient.server.endpoint.exceptions import TableauError, XMLError

        try:
            self.server.auth.sign_in(self._auth)
        except XMLError as error:  # FailedSignInError (401001) and other Tableau errors
            raise AuthenticationError(
                f"{self._label}: sign-in refused ({error.code}: {error.summary})"
            ) from None
        except (TableauError, requests.RequestException, OSError) as error:  # 5xx, network
            raise ServerError(f"{self._label}: cannot sign in ({_describe(error)})") from None
        self.sign_ins += 1
        logger.info("signed in to %s (API %s)", self._label, self.server.version)

    def token(self) -> str | None:
        """The current session token (to tell later whether a sign-in happened since)."""
        server = self.server
        return str(server.auth_token) if server.is_signed_in() else None

    def renew(self, stale: str | None) -> None:
        """Sign in again unless another thread already replaced the ``stale`` token."""
        with self._lock:
            if self.token() != stale:
                return  # another thread has signed in again already
            logger.info("%s: session token expired; signing in again", self._label)
            self.sign_in()

    def call(self, action: Callable[[], T]) -> T:
        """Run ``action``; on 401002 sign in again (once for all threads) and repeat it."""
        for attempt in range(self._policy.reauth_attempts + 1):
            token = self.token()
            try:
                return action()
            except Exception as error:
                if not is_token_expired(error) or attempt == self._policy.reauth_attempts:
                    raise
                self.renew(token)
        raise AssertionError("unreachable")  # pragma: no cover

    def sign_out(self) -> None:
        """Sign out and release every thread's connections; errors are only logged."""
        try:
            self.server.auth.sign_out()
        except Exception as error:  # the audit is done; a failed sign-out changes nothing
            logger.debug("%s: sign-out failed (%s)", self._label, type(error).__name__)
        self.server.close()


def _describe(error: BaseException) -> str:
    """The exception type, plus the HTTP status for TSC's 5xx errors. Never a message text."""
    code = getattr(error, "code", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__
