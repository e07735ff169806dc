"""Parser diagnostics (TA902): parts of an audited item whose contents could not be checked.

An item is still audited when one of its packaged extracts cannot be read, but the findings
for that data source then rest on the XML alone, and the report must say so. Pure: reads the
model only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tableau_audit.model import Datasource, Diagnostic, ExtractFormat, ExtractStatus

__all__ = ["PARTIAL", "extract_diagnostics", "several_extracts"]

PARTIAL = "TA902"
"""Rule id of "partially audited" diagnostics."""


def extract_diagnostics(datasources: Iterable[Datasource]) -> tuple[Diagnostic, ...]:
    """One diagnostic per data source whose packaged extract could not be checked."""
    return tuple(d for ds in datasources for d in _extract_problems(ds))


def _extract_problems(ds: Datasource) -> Iterator[Diagnostic]:
    extract = ds.extract
    if extract is None or not extract.enabled:
        return
    place = (f"datasource:{ds.caption}",)
    if extract.status is ExtractStatus.MISSING:
        yield Diagnostic(
            code=PARTIAL,
            message=f"the extract file of data source {ds.caption!r} is missing from the package",
            place=place,
        )
        return
    if extract.status is ExtractStatus.EMPTY:
        yield Diagnostic(
            code=PARTIAL,
            message=(
                f"the extract file of data source {ds.caption!r} is empty (0 bytes) in the "
                "package; only its XML description was checked"
            ),
            place=place,
        )
        return
    member = extract.file
    if extract.status is not ExtractStatus.PACKAGED or member is None:
        return
    if member.extract_format is ExtractFormat.TDE:
        message = (
            f"the extract of data source {ds.caption!r} is a legacy .tde file ({member.path}) "
            "that the Hyper API cannot open; only its XML description was checked"
        )
    elif member.extract_format is not ExtractFormat.HYPER:
        message = (
            f"the extract of data source {ds.caption!r} ({member.path}) is neither a .hyper "
            "nor a .tde file; only its XML description was checked"
        )
    elif extract.inventory is not None and extract.inventory.error is not None:
        # NOTE: the reader prefixes its label ("<artifact>:<member>: "); keep the reason only.
        reason = extract.inventory.error.split(f"{member.path}: ", 1)[-1]
        message = f"the extract of data source {ds.caption!r} could not be read: {reason}"
    else:
        return
    yield Diagnostic(code=PARTIAL, message=message, place=place)


def several_extracts(caption: str, dbnames: list[str], chosen: str) -> Diagnostic:
    """A data source joining several extract files: only one of them is audited."""
    return Diagnostic(
        code=PARTIAL,
        message=(
            f"data source {caption!r} reads {len(dbnames)} extract files; only {chosen!r} "
            "is checked against its contents"
        ),
        place=(f"datasource:{caption}",),
    )
