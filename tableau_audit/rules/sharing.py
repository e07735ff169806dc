"""TA2xx: who can see and download published content (Tableau Server / Cloud).

Every check reads the effective permissions the engine computed (``ctx.access``, see
:mod:`tableau_audit.permissions`) and the model only; for local files ``ctx.access`` is None
and they yield nothing. "Everyone" means the built-in *All Users* group (everyone signed in)
or the *Guest* user (visitors without an account, only when the site's guest access is on).
A capability granted on a view with its own rules (tabs hidden) counts like one on the item.
"""

from __future__ import annotations

from collections.abc import Iterator

from tableau_audit.findings import Audience, Location, PublishedSourceAudit, Severity, Violation
from tableau_audit.model import ArtifactKind, ExtractStatus, Workbook
from tableau_audit.permissions import EffectiveAccess
from tableau_audit.rules.base import Needs, Rule, RuleContext
from tableau_audit.rules.data import column_location, data_ships

_WORKBOOK = frozenset({ArtifactKind.WORKBOOK})
_DATASOURCE = frozenset({ArtifactKind.DATASOURCE})
_PUBLISHED = _WORKBOOK | _DATASOURCE

CAPABILITY_NAMES = {
    "Read": "View",
    "ExportData": "Download Summary Data",
    "ViewUnderlyingData": "Download Full Data",
    "VizqlDataApiAccess": "API Access (VizQL Data Service)",
    "Connect": "Connect",
}
"""REST capability → the name Tableau's permission dialog shows (rest-api.md §4.1)."""


def capability_name(capability: str, kind: ArtifactKind) -> str:
    """The UI name; ``ExportXml`` is *Download Workbook* or *Download Data Source*."""
    if capability == "ExportXml":
        return "Download Data Source" if kind is ArtifactKind.DATASOURCE else "Download Workbook"
    return CAPABILITY_NAMES[capability]


def who(all_users: bool, guest: bool) -> str:
    """``everyone signed in (All Users)`` / ``visitors without an account (Guest)`` / both."""
    parts = []
    if all_users:
        parts.append("everyone signed in (All Users)")
    if guest:
        parts.append("visitors without an account (Guest)")
    return " and ".join(parts)


def _initial(text: str) -> str:
    return text[:1].upper() + text[1:]


def _kind(wb: Workbook) -> str:
    return "data source" if wb.kind is ArtifactKind.DATASOURCE else wb.kind.value


def _audience(grant: Audience) -> list[str]:
    return [name for name, on in (("all_users", grant.all_users), ("guest", grant.guest)) if on]


def _places(
    access: EffectiveAccess, capability: str
) -> Iterator[tuple[tuple[str, ...], str, Audience]]:
    """``(object path prefix, description, grant)`` for the item and each view with own rules."""
    grant = access.capabilities.get(capability)
    if grant is not None:
        yield (), "", grant
    for view, grants in sorted(access.views.items()):
        if capability in grants:
            yield (f"view:{view}",), f" (view {view!r})", grants[capability]


def _governed(access: EffectiveAccess, path: tuple[str, ...]) -> str:
    if path or access.governed_by == "item":
        return ""
    return f" (set by the default permissions of the {access.governed_by})"


def _grants(
    wb: Workbook, ctx: RuleContext, capability: str, *, all_users: bool, guest: bool, what: str
) -> Iterator[Violation]:
    """One violation per place (item, view) where the chosen audience holds ``capability``."""
    access = ctx.access
    if access is None:
        return
    label = capability_name(capability, wb.kind)
    for path, where, grant in _places(access, capability):
        hits_all = all_users and grant.all_users
        hits_guest = guest and grant.guest
        if not (hits_all or hits_guest):
            continue
        yield Violation(
            location=Location(artifact=wb.source, object_path=(*path, f"capability:{capability}")),
            message=(
                f"{_initial(who(hits_all, hits_guest))} can {what}{where}: "
                f"{label} ({capability}) is allowed{_governed(access, path)}"
            ),
            evidence={
                "capability": capability,
                "audience": _audience(grant),
                "governed_by": access.governed_by if not path else "view",
                "groups": list(grant.groups),
            },
        )


def _viewable_by_all_users(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """All Users hold View (Read)."""
    what = f"see this {_kind(wb)}"
    yield from _grants(wb, ctx, "Read", all_users=True, guest=False, what=what)


def _reachable_by_guest(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """The Guest user holds View (Read) and the site's guest access is on."""
    what = f"open this {_kind(wb)} without signing in"
    yield from _grants(wb, ctx, "Read", all_users=False, guest=True, what=what)


def _full_data(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """All Users or Guest hold Download Full Data (ViewUnderlyingData)."""
    what = "download the full underlying rows"
    yield from _grants(wb, ctx, "ViewUnderlyingData", all_users=True, guest=True, what=what)


def carries_extract(wb: Workbook) -> bool:
    """True when the server says the item has extracts or the download packs one."""
    if wb.server is not None and wb.server.has_extract:
        return True
    return any(
        ds.extract is not None and ds.extract.status is ExtractStatus.PACKAGED
        for ds in wb.datasources
    )


def _workbook_download(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """All Users or Guest hold Download Workbook (ExportXml) on a workbook carrying an extract."""
    if not carries_extract(wb):
        return
    what = "download the workbook with its extract"
    yield from _grants(wb, ctx, "ExportXml", all_users=True, guest=True, what=what)


def _summary_data(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """All Users or Guest hold Download Summary Data (ExportData)."""
    what = "download the summary data behind the views"
    yield from _grants(wb, ctx, "ExportData", all_users=True, guest=True, what=what)


def _datasource_download(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """All Users or Guest may download the data source or query it through the API."""
    yield from _grants(
        wb, ctx, "ExportXml", all_users=True, guest=True, what="download this data source"
    )
    yield from _grants(
        wb,
        ctx,
        "VizqlDataApiAccess",
        all_users=True,
        guest=True,
        what="query every row of this data source through the VizQL Data Service",
    )


# --- TA250 ------------------------------------------------------------------------------


def _channels(access: EffectiveAccess, kind: ArtifactKind) -> tuple[list[str], list[str], set[str]]:
    """(row channels, file channels, audience) open to everyone on the item.

    Row channels hand out every row of every visible column (Download Full Data; for a data
    source, the VizQL Data Service). File channels hand out the file with its packaged extract.
    """
    row_caps = ("ViewUnderlyingData",) if kind is ArtifactKind.WORKBOOK else ("VizqlDataApiAccess",)
    rows: list[str] = []
    files: list[str] = []
    audience: set[str] = set()
    for capability in (*row_caps, "ExportXml"):
        grants = [grant for _, _, grant in _places(access, capability) if grant.broad]
        if not grants:
            continue
        (rows if capability in row_caps else files).append(capability_name(capability, kind))
        audience.update(name for grant in grants for name in _audience(grant))
    return rows, files, audience


def _message(column: str, kind: str, source: str, channels: list[str], audience: set[str]) -> str:
    return (
        f"Confidential column {column!r} ({kind}) in {source} can be downloaded by "
        f"{who('all_users' in audience, 'guest' in audience)} through "
        f"{' and '.join(channels)}"
    )


def _linked(wb: Workbook, ctx: RuleContext) -> list[PublishedSourceAudit]:
    """Audits of the published data sources the item's server connections read."""
    if wb.server is None:
        return []
    ids = sorted({c.datasource_id for c in wb.server.connections if c.datasource_id})
    return [ctx.published[i] for i in ids if i in ctx.published]


def _tier_text(type_name: str, tier: str) -> str:
    return f"{type_name.replace('_', ' ')}, {tier} tier"


def _own_columns(
    wb: Workbook, ctx: RuleContext, rows: list[str], files: list[str], audience: set[str]
) -> Iterator[Violation]:
    """Confidential columns of the item's own data sources that a broad channel hands out."""
    linked = bool(_linked(wb, ctx))
    for ds in wb.datasources:
        if ds.published is not None and linked:
            continue  # its columns and extract live in the published data source's audit
        used = ctx.used_columns(ds)
        for col in ds.columns:
            found = ctx.classification(ds, col)
            if found is None or not ctx.is_confidential(ds, col):
                continue
            in_extract = ctx.column_in_extract(ds, col)
            # Hidden fields are left out of full-data downloads but stay in a packaged extract.
            channels = [] if col.hidden else list(rows)
            if files and data_ships(wb, ds, in_extract):
                channels.extend(files)
            if not channels:
                continue
            unused = wb.kind is ArtifactKind.WORKBOOK and col.name not in used
            where = f"data source {ds.caption!r}" + (" (no sheet uses it)" if unused else "")
            yield _violation(
                column_location(wb, ds, col),
                _message(
                    col.caption,
                    _tier_text(found.pii_type.value, found.tier.label),
                    where,
                    channels,
                    audience,
                ),
                {
                    "type": found.pii_type.value,
                    "tier": found.tier.label,
                    "used": not unused,
                    "hidden": col.hidden,
                    "in_extract": in_extract,
                    "channels": channels,
                    "audience": sorted(audience),
                },
            )


def _published_columns(
    wb: Workbook, ctx: RuleContext, rows: list[str], audience: set[str]
) -> Iterator[Violation]:
    """Confidential columns of linked published data sources, reachable through full data."""
    if not rows:
        return  # downloading the workbook file never carries a published source's extract
    for audit in _linked(wb, ctx):
        for col in audit.confidential:
            found = col.classification
            if found is None or col.hidden:
                continue
            path = (
                f"published-datasource:{audit.name}",
                f"datasource:{col.datasource}",
                f"column:{col.field}",
            )
            yield _violation(
                Location(artifact=wb.source, object_path=path),
                _message(
                    col.field,
                    _tier_text(found.pii_type.value, found.tier.label),
                    f"published data source {audit.name!r}",
                    rows,
                    audience,
                ),
                {
                    "type": found.pii_type.value,
                    "tier": found.tier.label,
                    "hidden": col.hidden,
                    "in_extract": col.in_extract,
                    "channels": list(rows),
                    "audience": sorted(audience),
                    "published_datasource": audit.id,
                    "published_source": audit.source,
                },
            )


def _violation(location: Location, message: str, evidence: dict[str, object]) -> Violation:
    return Violation(location=location, message=message, evidence=evidence)


def _downloadable_confidential(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """Confidential columns whose rows everyone can download (full data or the file)."""
    if ctx.access is None:
        return
    rows, files, audience = _channels(ctx.access, wb.kind)
    if not rows and not files:
        return
    yield from _own_columns(wb, ctx, rows, files, audience)
    if wb.kind is ArtifactKind.WORKBOOK:
        yield from _published_columns(wb, ctx, rows, audience)


# --- metadata ---------------------------------------------------------------------------

_FIX_PERMISSIONS = """\
**How to fix.** Remove the capability from the *All Users* group (Tableau itself recommends
deleting the All Users rule or setting it to None) and grant it to the groups that need it.
In a locked project, change the project's default permissions, which govern its content.
Switch off the site's guest access unless the content is meant for the public internet."""

HELP_TA201 = f"""\
**Why it matters.** The built-in *All Users* group holds every account of the site. A View
permission for All Users makes the item visible to everyone signed in, whatever their team,
which is rarely what a dashboard built on personal or confidential data is meant for.

{_FIX_PERMISSIONS}
"""

HELP_TA202 = f"""\
**Why it matters.** With the site's guest access on, the *Guest* user lets anyone who can
reach the server open the content without an account: no sign-in, no audit trail of who
looked. On an internet-facing server that means the whole internet.

{_FIX_PERMISSIONS}
"""

HELP_TA203 = f"""\
**Why it matters.** *Download Full Data* (`ViewUnderlyingData`) lets a viewer export every row
of the data behind a view, including every column of the data source that is not hidden —
also the ones no sheet shows. Open to All Users or Guest, the whole data set is one click away
for everyone.

{_FIX_PERMISSIONS}
"""

HELP_TA204 = f"""\
**Why it matters.** *Download Workbook/Save a Copy* (`ExportXml`) hands out the .twbx file. A
workbook that carries an extract ships its rows inside: hidden and unused columns included,
row-level security filters not applied.

{_FIX_PERMISSIONS} Or publish the workbook against a published data source (the download then
carries no rows).
"""

HELP_TA205 = f"""\
**Why it matters.** *Download Summary Data* (`ExportData`) exports the aggregated data behind a
view as CSV or crosstab. It is less than full data but often more detail than the view shows
(every mark, every level of detail), and the file leaves Tableau's control.

{_FIX_PERMISSIONS}
"""

HELP_TA206 = f"""\
**Why it matters.** A published data source whose *Download Data Source* (`ExportXml`) or *API
Access* (`VizqlDataApiAccess`) capability is open to All Users or Guest lets everyone take the
.tdsx with its extract, or query every row through the VizQL Data Service, bypassing the
workbooks' views.

{_FIX_PERMISSIONS}
"""

HELP_TA250 = f"""\
**Why it matters.** This is the combination behind the public-dashboard leaks: a column
classified as confidential (a national id, a card number, a diagnosis — often one no sheet
even uses) sits in the data of an item whose full data or file everyone can download. A
visitor only has to open *Download → Full Data* or download the workbook to get every value.
For a workbook reading a published data source, the columns come from that data source's audit.

**How to fix.** Remove the column from the data source (or hide it and use *Hide all unused
fields* before extracting), and take Download Full Data and Download Workbook away from All
Users and Guest. {_FIX_PERMISSIONS.removeprefix("**How to fix.** ")}
"""

TA201 = Rule(
    id="TA201",
    name="viewable-by-all-users",
    severity=Severity.MEDIUM,
    summary="Everyone signed in to the site (All Users) can view the item.",
    help=HELP_TA201,
    check=_viewable_by_all_users,
    needs=Needs.SERVER,
    applies_to=_PUBLISHED,
    tags=("sharing", "permissions"),
    cwe=732,
)

TA202 = Rule(
    id="TA202",
    name="reachable-without-account",
    severity=Severity.HIGH,
    summary="Visitors without an account (Guest) can open the item.",
    help=HELP_TA202,
    check=_reachable_by_guest,
    needs=Needs.SERVER,
    applies_to=_PUBLISHED,
    tags=("sharing", "permissions"),
    cwe=306,
)

TA203 = Rule(
    id="TA203",
    name="full-data-download-for-everyone",
    severity=Severity.HIGH,
    summary="All Users or Guest may download the full underlying data (ViewUnderlyingData).",
    help=HELP_TA203,
    check=_full_data,
    needs=Needs.SERVER,
    applies_to=_WORKBOOK,
    tags=("sharing", "download"),
    cwe=200,
)

TA204 = Rule(
    id="TA204",
    name="workbook-download-for-everyone",
    severity=Severity.HIGH,
    summary="All Users or Guest may download a workbook that carries an extract (ExportXml).",
    help=HELP_TA204,
    check=_workbook_download,
    needs=Needs.SERVER,
    applies_to=_WORKBOOK,
    tags=("sharing", "download"),
    cwe=200,
)

TA205 = Rule(
    id="TA205",
    name="summary-data-download-for-everyone",
    severity=Severity.LOW,
    summary="All Users or Guest may download summary data (ExportData).",
    help=HELP_TA205,
    check=_summary_data,
    needs=Needs.SERVER,
    applies_to=_WORKBOOK,
    tags=("sharing", "download"),
    cwe=200,
)

TA206 = Rule(
    id="TA206",
    name="datasource-download-for-everyone",
    severity=Severity.HIGH,
    summary=(
        "All Users or Guest may download a published data source or query it through the API."
    ),
    help=HELP_TA206,
    check=_datasource_download,
    needs=Needs.SERVER,
    applies_to=_DATASOURCE,
    tags=("sharing", "download"),
    cwe=200,
)

TA250 = Rule(
    id="TA250",
    name="confidential-data-downloadable-by-everyone",
    severity=Severity.CRITICAL,
    summary="Confidential columns are in data that All Users or Guest can download.",
    help=HELP_TA250,
    check=_downloadable_confidential,
    needs=Needs.SERVER,
    applies_to=_PUBLISHED,
    tags=("sharing", "download", "data-exposure"),
    cwe=200,
)
