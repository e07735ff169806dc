"""TA1xx: confidential data shipped in workbooks, data sources and extracts."""

from __future__ import annotations

from collections.abc import Iterator

from tableau_audit.classify.types import ColumnClassification, Tier
from tableau_audit.extracts import ships_packaged_file
from tableau_audit.findings import Location, Severity, Violation
from tableau_audit.model import (
    ArtifactKind,
    Column,
    Datasource,
    ExtractStatus,
    PackagedFileKind,
    Workbook,
)
from tableau_audit.rules.base import Needs, Rule, RuleContext


def graded_severity(tier: Tier, *, shipped: bool) -> Severity:
    """Severity of a confidential column: its tier, one step lower when its data does not ship.

    "Ships" means the values are physically inside the file (a packaged extract): whoever gets
    the file gets the data. A live connection or an unpackaged extract only names the column.
    """
    by_tier = {Tier.HIGH: Severity.HIGH, Tier.MODERATE: Severity.MEDIUM, Tier.LOW: Severity.LOW}
    severity = by_tier[tier]
    return severity if shipped else Severity(max(int(severity) - 1, int(Severity.INFO)))


def column_location(wb: Workbook, ds: Datasource, col: Column) -> Location:
    """Location of a column: artifact › data source › column (captions, never values)."""
    return Location(
        artifact=wb.source,
        object_path=(f"datasource:{ds.caption}", f"column:{col.caption}"),
        line=col.line,
    )


def data_ships(wb: Workbook, ds: Datasource, in_extract: bool | None) -> bool:
    """True when the column's values are physically inside the audited file.

    That is a packaged extract holding the column, or a raw file (CSV, Excel) packed into the
    package that a file connection of the data source reads.
    """
    extract = ds.extract
    if extract is None:
        return ships_packaged_file(wb, ds)
    return bool(in_extract) and extract.status is ExtractStatus.PACKAGED


def _evidence(
    found: ColumnClassification, col: Column, in_extract: bool | None, ships: bool
) -> dict[str, object]:
    return {
        "type": found.pii_type.value,
        "tier": found.tier.label,
        "confidence": round(found.confidence, 2),
        "name_only": found.name_only,
        "remote_name": col.remote_name,
        "in_extract": in_extract,
        "data_in_file": ships,
    }


def _describe(found: ColumnClassification) -> str:
    """``criminal record, high tier``: what the column holds, in words."""
    return f"{found.pii_type.value.replace('_', ' ')}, {found.tier.label} tier"


def _unused_confidential_columns(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per visible confidential column that nothing in the workbook uses."""
    for ds in wb.datasources:
        used = ctx.used_columns(ds)
        for col in ds.columns:
            found = ctx.classification(ds, col)
            if found is None or not ctx.is_confidential(ds, col):
                continue
            if col.hidden or col.name in used:
                continue
            in_extract = ctx.column_in_extract(ds, col)
            if in_extract is False and ds.extract is not None and not ds.extract.live:
                continue  # not extracted: nothing ships, the column is only named in the XML
            ships = data_ships(wb, ds, in_extract)
            where = "is in the packaged extract" if ships else "is available to viewers"
            yield Violation(
                location=column_location(wb, ds, col),
                message=(
                    f"Confidential column {col.caption!r} ({_describe(found)}) in data source "
                    f"{ds.caption!r} {where} but no sheet, calculation, filter or action uses it"
                ),
                severity=graded_severity(found.tier, shipped=ships),
                evidence=_evidence(found, col, in_extract, ships),
            )


def _hidden_confidential_in_extract(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per hidden confidential column whose data is still in a packaged extract."""
    for ds in wb.datasources:
        for col in ds.columns:
            found = ctx.classification(ds, col)
            if found is None or not col.hidden or not ctx.is_confidential(ds, col):
                continue
            in_extract = ctx.column_in_extract(ds, col)
            if not data_ships(wb, ds, in_extract):
                continue
            yield Violation(
                location=column_location(wb, ds, col),
                message=(
                    f"Hidden column {col.caption!r} ({_describe(found)}) in data source "
                    f"{ds.caption!r} is hidden but still in the packaged extract: anyone who "
                    "downloads the file gets its values"
                ),
                severity=graded_severity(found.tier, shipped=True),
                evidence=_evidence(found, col, in_extract, True),
            )


def _packaged_raw_data(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per raw data file or query-result cache packed into the package."""
    for member in wb.package:
        if member.kind not in (PackagedFileKind.RAW_DATA, PackagedFileKind.QUERY_CACHE):
            continue
        what = "raw data file" if member.kind is PackagedFileKind.RAW_DATA else "query cache"
        yield Violation(
            location=Location(artifact=wb.source, object_path=(f"package:{member.path}",)),
            message=(
                f"The package carries a {what} {member.path!r} ({member.size:,} bytes): its "
                "rows travel with the workbook whatever the sheets show"
            ),
            evidence={"member": member.path, "bytes": member.size, "kind": member.kind.value},
        )


def _confidential_in_datasource(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per confidential column of a data source or standalone extract file."""
    for ds in wb.datasources:
        for col in ds.columns:
            found = ctx.classification(ds, col)
            if found is None or not ctx.is_confidential(ds, col):
                continue
            in_extract = ctx.column_in_extract(ds, col)
            if col.hidden and not in_extract:
                continue
            ships = data_ships(wb, ds, in_extract)
            where = "its values are in the file" if ships else "the data source exposes it"
            yield Violation(
                location=column_location(wb, ds, col),
                message=(
                    f"Column {col.caption!r} ({_describe(found)}) of {ds.caption!r}: "
                    f"{where} to every workbook and user that can connect"
                ),
                severity=graded_severity(found.tier, shipped=ships),
                evidence=_evidence(found, col, in_extract, ships),
            )


HELP_TA101 = """\
**Why it matters.** The column holds personal or confidential data, yet no worksheet,
dashboard, calculation, filter, action, tooltip or title uses it. It is there only because it
was in the source table. Whoever can download the workbook, or use *Download Full Data* on any
view, gets it anyway. This is the pattern behind the 2022 California DOJ exposure: the
dashboard showed counts per county, while the extract behind it held names, home addresses,
dates of birth and criminal histories.

**How to fix.** Remove the column from the data source (or from the custom SQL / source view),
or use *Hide All Unused Fields* before creating the extract, then re-create the extract. Hiding
alone is not enough for live connections. If another workbook needs the column, publish the
data source separately and restrict who can connect to it.

The column is unused *in this workbook*; a workbook that connects to it as a published data
source may still need it.
"""

HELP_TA102 = """\
**Why it matters.** Hiding a field removes it from the Data pane, but this column is still
physically present in the packaged extract (`.hyper`). Anyone who downloads the workbook or
data source opens the extract and reads every value. Tableau normally drops hidden fields when
it builds an extract; their presence means a stale or forced extract.

**How to fix.** Re-create the extract with the column hidden (or removed from the source), then
repackage and republish.
"""

HELP_TA103 = """\
**Why it matters.** Packaged workbooks can carry copies of the source files (CSV, Excel, ...)
and query-result caches. These hold raw rows, including columns no sheet uses, outside any
extract filter or row-level security.

**How to fix.** Use an extract instead of packaging the source file, or save the workbook as
`.twb` and publish the data separately. Clear query caches before packaging.
"""

HELP_TA104 = """\
**Why it matters.** A data source (`.tds`/`.tdsx`) or a standalone extract (`.hyper`) that
holds confidential columns gives them to every workbook and user that can connect to it or
download it. Whether any workbook needs those columns cannot be seen from the data source.

**How to fix.** Keep only the columns consumers need; publish confidential data in a separate,
restricted data source; on the server, deny *Download Data Source* and *API Access* to broad
groups.
"""

TA101 = Rule(
    id="TA101",
    name="unused-confidential-column",
    severity=Severity.MEDIUM,
    summary="A confidential column ships with the workbook but nothing in the workbook uses it.",
    help=HELP_TA101,
    check=_unused_confidential_columns,
    applies_to=frozenset({ArtifactKind.WORKBOOK}),
    graded=True,
    tags=("data-exposure", "privacy"),
    cwe=200,
)

TA102 = Rule(
    id="TA102",
    name="hidden-confidential-column-in-extract",
    severity=Severity.HIGH,
    summary="A hidden confidential column is still physically in the packaged extract.",
    help=HELP_TA102,
    check=_hidden_confidential_in_extract,
    graded=True,
    tags=("data-exposure", "privacy"),
    cwe=200,
)

TA103 = Rule(
    id="TA103",
    name="packaged-raw-data",
    severity=Severity.MEDIUM,
    summary="Raw data files or query caches are packed into the package.",
    help=HELP_TA103,
    check=_packaged_raw_data,
    tags=("data-exposure",),
    cwe=200,
)

TA104 = Rule(
    id="TA104",
    name="confidential-column-in-datasource",
    severity=Severity.MEDIUM,
    summary="A data source or standalone extract holds a confidential column.",
    help=HELP_TA104,
    check=_confidential_in_datasource,
    applies_to=frozenset({ArtifactKind.DATASOURCE, ArtifactKind.EXTRACT}),
    graded=True,
    tags=("data-exposure", "privacy"),
    cwe=200,
)


# --- TA105 (issue 3): columns only the .hyper knows -------------------------------------------

_MAX_NAMED = 10


def _named(parts: list[str]) -> str:
    """``'a', 'b', ... and 3 more``: at most ``_MAX_NAMED`` names, never a value."""
    shown = ", ".join(parts[:_MAX_NAMED])
    return f"{shown} and {len(parts) - _MAX_NAMED} more" if len(parts) > _MAX_NAMED else shown


def _undescribed_extract_columns(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per data source whose .hyper holds columns its XML never mentions."""
    for ds in wb.datasources:
        extra = [col for col in ds.columns if col.extract_only]
        if ds.extract is None or not extra:
            continue
        secret = [
            (col, found)
            for col in extra
            if (found := ctx.classification(ds, col)) is not None and ctx.is_confidential(ds, col)
        ]
        message = (
            f"The extract of data source {ds.caption!r} holds {len(extra)} column(s) that the "
            f"XML does not describe: {_named([repr(col.caption) for col in extra])}"
        )
        if secret:
            kinds = [
                f"{col.caption!r} ({found.pii_type.value}, {found.tier.label} tier)"
                for col, found in secret
            ]
            message += f"; {len(secret)} of them confidential: {_named(kinds)}"
        yield Violation(
            location=Location(
                artifact=wb.source, object_path=(f"datasource:{ds.caption}", "extract")
            ),
            message=message + ". They ship with the file although nothing in it explains them",
            severity=Severity.MEDIUM if secret else Severity.LOW,
            evidence={
                "columns": tuple(col.caption for col in extra),
                "confidential_columns": tuple(col.caption for col, _ in secret),
                "types": tuple(sorted({found.pii_type.value for _, found in secret})),
            },
        )


HELP_TA105 = """\
**Why it matters.** The packaged extract (`.hyper`) holds columns that the workbook's XML never
mentions: no field, no extract metadata, nothing in Tableau's Data pane. They are shipped data
that nothing in the workbook explains, typically left behind by a hand-built or
Hyper-API-generated extract, or by a data source edited after its extract was created. Whoever
downloads the file can read them, and nobody reviewing the workbook in Tableau sees them.

**How to fix.** Re-create the extract from the data source as it is now (Tableau writes only the
fields it knows), or drop the columns from the script or query that builds the `.hyper`, then
repackage and republish.
"""

TA105 = Rule(
    id="TA105",
    name="undescribed-extract-columns",
    severity=Severity.LOW,
    summary="The packaged extract holds columns that the workbook's XML does not describe.",
    help=HELP_TA105,
    check=_undescribed_extract_columns,
    needs=Needs.EXTRACT,
    graded=True,
    tags=("data-exposure",),
    cwe=200,
)
