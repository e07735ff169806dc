"""Tableau Server / Cloud as a source: sign in, list the site, fetch and download each item.

:class:`ServerSource` implements :class:`~tableau_audit.sources.interface.PublishedContentSource`
with tableauserverclient (TSC) 0.42. Following rest-api.md:

* ``TSC.Server(url, use_server_version=True)``; every list is read with ``TSC.Pager`` (``.all()``
  silently stops on a 429 mid-way) at up to 1,000 items a page, resumed after a re-sign-in;
* HTTP retries with backoff honouring ``Retry-After`` for 429 and 5xx, re-sign-in on 401002
  (:mod:`tableau_audit.sources.retry`);
* site-wide facts are read once: users, groups and their members, the projects that hold
  in-scope content (their rules; default rules only for locked ones), and, only when some
  workbook hides its tabs, the site's views in one paged list (§2 #17);
* per item, on ``concurrency`` worker threads: its permissions (skipped in a locked project,
  whose defaults govern), its connections, view permissions when tabs are hidden, and the
  download into a private temporary directory. A failure of one item (403, a 5xx after the
  retries) becomes a :class:`FetchFailure` and the run goes on.

Parsing stays on the consumer's thread (the run's ``HyperSession`` is not thread-safe), so
workers run at most ``2 × concurrency`` items ahead and memory stays flat.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tableau_audit.errors import ServerError, SourceError, traceback_without_message
from tableau_audit.model import (
    ArtifactKind,
    ServerGroup,
    ServerItem,
    ServerProject,
    ServerView,
    SiteSnapshot,
)
from tableau_audit.permissions import locking_project
from tableau_audit.records import frozen
from tableau_audit.sources import server_model as convert
from tableau_audit.sources.cache import ContentCache, UnchangedItem
from tableau_audit.sources.interface import FetchedItem, FetchFailure
from tableau_audit.sources.retry import RetryPolicy, SignedIn, is_token_expired, session_factory

__all__ = ["Credentials", "ServerSettings", "ServerSource"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``, called on the consumer's thread as items are handed out."""

LOCKED = frozenset({"LockedToProject", "LockedToProjectWithoutNested"})


@frozen
class Credentials:
    """How to sign in. The secret is never part of ``repr`` or of any message."""

    method: str
    """``pat`` (token name + secret), ``password`` (user name + password) or ``jwt``."""
    name: str = ""
    secret: str = field(default="", repr=False)

    def tsc_auth(self, site: str) -> Any:
        """The TSC credential object for ``site`` (a content URL)."""
        import tableauserverclient as TSC

        if self.method == "pat":
            return TSC.PersonalAccessTokenAuth(self.name, self.secret, site_id=site)
        if self.method == "password":
            return TSC.TableauAuth(self.name, self.secret, site_id=site)
        if self.method == "jwt":
            return TSC.JWTAuth(self.secret, site_id=site)
        raise ValueError(f"unknown sign-in method {self.method!r}")


@frozen
class ServerSettings:
    """Where and what to audit."""

    url: str
    credentials: Credentials
    site: str = ""
    """Site content URL; empty for the Default site."""
    projects: tuple[str, ...] = ()
    """Project names (each with its nested projects); empty for the whole site."""
    concurrency: int = 4
    include_datasources: bool = True
    page_size: int = 1000
    timeout: float = 300.0
    """Seconds before one HTTP request (or a download's next chunk) counts as failed."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        # NOTE: normalised here, where every caller passes: the URL reaches messages, logs,
        # item links and the history (server_address refuses a user name or password in it).
        object.__setattr__(self, "url", server_address(self.url))

    @property
    def label(self) -> str:
        """``https://host/path site finance``, as messages, logs and the history name it."""
        return f"{self.url.rstrip('/')} site {self.site or '(default)'}"


_USERINFO = (
    "the server URL holds a user name or password; give only the address "
    "(https://host) and sign in with --token-name, --username or --connected-app"
)


def server_address(url: str) -> str:
    """``url`` as the auditor uses it: ``http(s)://host[:port][/path]``.

    A browser address (``https://host/#/site/finance/views``) loses its fragment and query.
    A user name or password in it is refused: it would reach every message, item link and
    history row, and secrets come from the environment only. The error never quotes the URL.
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        _ = parts.port  # NOTE: raises ValueError for a port that is not a number
    except ValueError:
        raise SourceError("the server URL is not a valid URL") from None
    if parts.netloc.rpartition("@")[1]:
        raise SourceError(_USERINFO)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError("the server URL must start with https:// (or http://) and a host name")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True, slots=True)
class _Job:
    index: int
    kind: ArtifactKind
    tsc: Any
    url: str


class ServerSource:
    """One site of Tableau Server or Cloud. Use as a context manager (signs in and out)."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        progress: ProgressCallback | None = None,
        cache: ContentCache | None = None,
    ) -> None:
        if settings.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.settings = settings
        self._progress = progress
        self._cache = cache
        """Skip-unchanged (``--history``, issue 6): asked before each download."""
        self._signed: SignedIn | None = None
        self._snapshot: SiteSnapshot | None = None
        self._jobs: list[_Job] = []
        self._views: dict[str, list[Any]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> ServerSource:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Sign in. :class:`AuthenticationError` / :class:`ServerError` when that fails."""
        import tableauserverclient as TSC

        settings = self.settings
        try:
            server = TSC.Server(  # type: ignore[no-untyped-call]
                settings.url,
                use_server_version=True,
                http_options={"timeout": settings.timeout},
                session_factory=session_factory(settings.retry, pool_size=settings.concurrency),
            )
        except ValueError as error:
            raise SourceError(f"{settings.url}: not a usable server URL") from error
        auth = settings.credentials.tsc_auth(settings.site)
        self._signed = SignedIn(server, auth, label=self.settings.label, policy=settings.retry)
        self._signed.sign_in()

    def close(self) -> None:
        """Sign out (best effort) and release the connections."""
        if self._signed is not None:
            self._signed.sign_out()
            self._signed = None

    @property
    def signed(self) -> SignedIn:
        """The signed-in server; raises when :meth:`open` has not run."""
        if self._signed is None:
            raise SourceError(f"{self.settings.label}: not signed in")
        return self._signed

    # -- site-wide facts -------------------------------------------------------------------

    def snapshot(self) -> SiteSnapshot:
        """Users, groups, projects and settings; lists the in-scope items (once)."""
        if self._snapshot is None:
            self._snapshot = self._read_site()
        return self._snapshot

    def _read_site(self) -> SiteSnapshot:
        server = self.signed.server
        site = self._call_site("the site settings", lambda: server.sites.get_by_id(server.site_id))
        users = [convert.user(u) for u in self.list_all(server.users, "users")]
        groups = self.list_all(server.groups, "groups")
        projects = self.list_all(server.projects, "projects")
        scope = convert.scope(projects, self.settings.projects, self.settings.label)
        workbooks = [
            w for w in self.list_all(server.workbooks, "workbooks") if convert.in_scope(w, scope)
        ]
        datasources: list[Any] = []
        if self.settings.include_datasources:
            listed = self.list_all(server.datasources, "data sources")
            datasources = [d for d in listed if convert.in_scope(d, scope)]
        needed = convert.with_ancestors(
            projects, {convert.project_of(i)[0] for i in (*workbooks, *datasources)}
        )
        with ThreadPoolExecutor(self.settings.concurrency) as pool:
            members = list(pool.map(self._members, groups))
            read = list(pool.map(self._project, [p for p in projects if p.id in needed]))
        snapshot = SiteSnapshot(
            site_id=site.id,
            content_url=site.content_url or "",
            guest_access_enabled=bool(site.guest_access_enabled),
            users=tuple(users),
            groups=tuple(
                ServerGroup(id=g.id, name=g.name or "", member_ids=m)
                for g, m in zip(groups, members, strict=True)
            ),
            projects=tuple(read),
        )
        self._jobs = self._plan(snapshot, datasources, workbooks)
        logger.info(
            "%s: %d workbook(s) and %d data source(s) to audit",
            self.settings.label,
            len(workbooks),
            len(datasources),
        )
        return snapshot

    def _call_site(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return self.signed.call(action)
        except SourceError:
            raise
        except Exception as error:
            raise ServerError(
                f"{self.settings.label}: cannot read {what} ({convert.reason(error)})"
            ) from None

    def list_all(self, endpoint: Any, what: str) -> list[Any]:
        """Every item of a paged list (``TSC.Pager``), resumed after a re-sign-in."""
        import tableauserverclient as TSC

        size = self.settings.page_size
        items: list[Any] = []
        seen: set[str] = set()
        renewals = 0
        while True:
            token = self.signed.token()
            page = len(items) // size + 1
            try:
                for item in TSC.Pager(
                    endpoint,
                    TSC.RequestOptions(  # type: ignore[no-untyped-call]
                        pagenumber=page, pagesize=size
                    ),
                ):
                    if item.id not in seen:  # a resumed page may repeat items already read
                        seen.add(item.id)
                        items.append(item)
                return items
            except Exception as error:
                if is_token_expired(error) and renewals < self.settings.retry.reauth_attempts:
                    renewals += 1
                    self.signed.renew(token)
                    continue
                if isinstance(error, SourceError):
                    raise
                raise ServerError(
                    f"{self.settings.label}: cannot list {what} ({convert.reason(error)})"
                ) from None

    def _members(self, group: Any) -> frozenset[str]:
        import tableauserverclient as TSC

        server = self.signed.server
        options = TSC.RequestOptions(  # type: ignore[no-untyped-call]
            pagesize=self.settings.page_size
        )

        def read() -> frozenset[str]:
            server.groups.populate_users(group, options)
            return frozenset(u.id for u in group.users)

        return self._call_site(f"the members of group {group.name!r}", read)  # type: ignore[no-any-return]

    def _project(self, project: Any) -> ServerProject:
        server = self.signed.server
        where = f"project {project.name!r}"

        def rules(populate: Callable[[Any], None], attribute: str) -> Any:
            def read() -> Any:
                populate(project)
                return getattr(project, attribute)  # a lazy property: read once

            return convert.permission_rules(
                self._call_site(f"the rules of {where}", read), where=where
            )

        own = rules(server.projects.populate_permissions, "permissions")
        if project.content_permissions not in LOCKED:
            return convert.project(
                project, rules=own
            )  # defaults of unlocked projects govern nothing
        defaults = {
            "default_workbook_rules": rules(
                server.projects.populate_workbook_default_permissions,
                "default_workbook_permissions",
            )
        }
        if self.settings.include_datasources:
            defaults["default_datasource_rules"] = rules(
                server.projects.populate_datasource_default_permissions,
                "default_datasource_permissions",
            )
        return convert.project(project, rules=own, **defaults)

    # -- items -----------------------------------------------------------------------------

    def _plan(
        self, site: SiteSnapshot, datasources: Sequence[Any], workbooks: Sequence[Any]
    ) -> list[_Job]:
        """Data sources first (workbooks link to their audits), then workbooks."""
        jobs = [self._job(i, ArtifactKind.DATASOURCE, d) for i, d in enumerate(datasources)]
        start = len(jobs)
        jobs += [self._job(start + i, ArtifactKind.WORKBOOK, w) for i, w in enumerate(workbooks)]
        if any(self._own_view_rules(site, w) for w in workbooks):
            self._views = {}
            for view in self.list_all(self.signed.server.views, "views"):
                self._views.setdefault(view.workbook_id, []).append(view)
        return jobs

    def _job(self, index: int, kind: ArtifactKind, tsc: Any) -> _Job:
        url = convert.item_url(
            tsc, server_url=self.settings.url, site=self.settings.site, kind=kind
        )
        return _Job(index=index, kind=kind, tsc=tsc, url=url)

    def _locked(self, site: SiteSnapshot, tsc: Any, kind: ArtifactKind) -> bool:
        project_id, _ = convert.project_of(tsc)
        stub = ServerItem(kind=kind, id=tsc.id, name="", url="", project_id=project_id)
        return locking_project(site, stub) is not None

    def _own_view_rules(self, site: SiteSnapshot, tsc: Any) -> bool:
        """Tabs hidden in an unlocked project: each view has its own rules (§4.3)."""
        return not tsc.show_tabs and not self._locked(site, tsc, ArtifactKind.WORKBOOK)

    def items(self) -> Iterator[FetchedItem | UnchangedItem | FetchFailure]:
        """Every in-scope item, fetched ahead on worker threads, handed out in order.

        A :class:`FetchedItem`'s file is deleted when the next item is requested; the private
        directory is removed when the iteration ends, however it ends.
        """
        site = self.snapshot()
        jobs = iter(self._jobs)
        total = len(self._jobs)
        ahead = 2 * self.settings.concurrency
        folder = Path(tempfile.mkdtemp(prefix="tableau-audit-"))  # mode 0700
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="tableau-audit")
        window: deque[Future[FetchedItem | UnchangedItem | FetchFailure]] = deque()
        try:
            for job in jobs:
                window.append(pool.submit(self._fetch, site, job, folder))
                if len(window) >= ahead:
                    break
            done = 0
            while window:
                outcome = window.popleft().result()
                following = next(jobs, None)
                if following is not None:
                    window.append(pool.submit(self._fetch, site, following, folder))
                try:
                    yield outcome
                finally:
                    if isinstance(outcome, FetchedItem):
                        outcome.content.unlink(missing_ok=True)
                    done += 1
                    if self._progress is not None:
                        self._progress(done, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(folder, ignore_errors=True)

    def _fetch(
        self, site: SiteSnapshot, job: _Job, folder: Path
    ) -> FetchedItem | UnchangedItem | FetchFailure:
        step = "its permissions"
        path = folder / f"{job.index:06d}.download"
        try:
            server = self.signed.server
            endpoint = server.workbooks if job.kind is ArtifactKind.WORKBOOK else server.datasources
            where = f"{job.kind.value} {job.tsc.name!r}"
            rules: Any = ()
            if not self._locked(site, job.tsc, job.kind):  # a locked project's defaults govern
                rules = self._lazy(endpoint.populate_permissions, job.tsc, "permissions")
            step = "its connections"
            conns = self._lazy(endpoint.populate_connections, job.tsc, "connections")
            step = "its views' permissions"
            views = self._view_rules(site, job)
            item = convert.server_item(
                job.tsc,
                kind=job.kind,
                url=job.url,
                rules=convert.permission_rules(rules, where=where),
                views=views,
                conns=convert.connections(conns),
            )
            if self._cache is not None and self._cache.is_current(item):
                return UnchangedItem(item=item)  # analysed at this updatedAt and size: no download
            step = "its content"
            self.signed.call(lambda: _download(endpoint, job.tsc.id, path))
        except SourceError:
            raise  # sign-in refused again: the run cannot go on
        except Exception as error:
            # NOTE: never exc_info: TSC's exception texts carry whole response bodies.
            logger.debug("%s: cannot read %s\n%s", job.url, step, traceback_without_message(error))
            path.unlink(missing_ok=True)  # a partial download
            return FetchFailure(
                kind=job.kind, source=job.url, reason=f"cannot read {step}: {convert.reason(error)}"
            )
        return FetchedItem(item=item, content=path)

    def _lazy(self, populate: Callable[[Any], None], tsc: Any, attribute: str) -> Any:
        """Populate a lazy TSC property and read it exactly once."""

        def read() -> Any:
            populate(tsc)
            return getattr(tsc, attribute)

        return self.signed.call(read)

    def _view_rules(self, site: SiteSnapshot, job: _Job) -> tuple[ServerView, ...]:
        if job.kind is not ArtifactKind.WORKBOOK or not self._own_view_rules(site, job.tsc):
            return ()
        views = self.signed.server.views
        found = []
        for view in self._views.get(job.tsc.id, []):
            where = f"view {view.name!r}"
            rules = self._lazy(views.populate_permissions, view, "permissions")
            found.append(
                ServerView(
                    id=view.id,
                    name=view.name or "",
                    rules=convert.permission_rules(rules, where=where),
                )
            )
        return tuple(sorted(found, key=lambda v: v.name))


def _download(endpoint: Any, item_id: str, path: Path) -> None:
    """Stream the item's content (with its extract) into ``path``; never a server file name."""
    with path.open("wb") as handle:
        endpoint.download(item_id, filepath=handle, include_extract=True)
