"""Read one local file into a :class:`~tableau_audit.model.Workbook`, or refuse it clearly.

The format comes from the content (:mod:`~tableau_audit.parsing.detect`), never from the
extension. Anything that cannot be audited raises :class:`~tableau_audit.errors.ParseError`
with a specific reason; an unexpected exception inside the parser becomes a ParseError naming
only the exception type, because exception messages can quote file content.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, Protocol

from tableau_audit.display import display_path
from tableau_audit.errors import ParseError
from tableau_audit.model import (
    Datasource,
    Extract,
    ExtractFormat,
    ExtractStatus,
    HyperInventory,
    Workbook,
)
from tableau_audit.parsing.detect import HEAD_SIZE, FileFormat, sniff, unknown_reason
from tableau_audit.parsing.diagnostics import extract_diagnostics
from tableau_audit.parsing.extract_contents import (
    ExtractSamples,
    SampleKey,
    SampleSource,
    column_values,
    with_extracted_calculations,
    with_undescribed_columns,
)
from tableau_audit.parsing.package import Member, Package, PackageLimits
from tableau_audit.parsing.twb import build_workbook
from tableau_audit.parsing.xml import parse_xml
from tableau_audit.records import frozen

__all__ = ["ExtractSamples", "HyperReader", "LoadedItem", "load_file", "load_item"]

logger = logging.getLogger(__name__)

_REASONS = {
    FileFormat.EMPTY: "the file is empty (0 bytes)",
    FileFormat.LFS_POINTER: (
        "the file is a Git LFS pointer, not the Tableau file itself (fetch it with git lfs pull)"
    ),
    FileFormat.TDE: (
        "the file is a legacy .tde extract; the Hyper API cannot open .tde files, so its "
        "columns cannot be audited (open and re-save it as .hyper in Tableau)"
    ),
}


class HyperReader(Protocol):
    """What :func:`load_file` needs from a ``HyperSession`` (tableau_audit.parsing.hyper).

    ``data`` is a standalone file or a packaged :class:`Member`, which the reader inflates only
    if it needs the bytes (a :class:`Member` that cannot be read raises :class:`ParseError`).
    """

    def inventory(self, data: Path | Member, *, label: str) -> HyperInventory:
        """Tables, columns and row counts of a .hyper file; never raises for a bad file."""
        ...

    def inspect(
        self, data: Path | Member, *, label: str, size: int | None = None
    ) -> tuple[HyperInventory, SampleSource]:
        """Inventory plus a bounded sample of every column, from one private copy."""
        ...


@frozen
class LoadedItem:
    """A parsed item and, separately, the values sampled from its extracts (memory only)."""

    workbook: Workbook
    samples: ExtractSamples = dataclasses.field(default_factory=ExtractSamples)


def load_file(
    path: Path,
    *,
    display: str | None = None,
    hyper: HyperReader | None = None,
    limits: PackageLimits | None = None,
) -> Workbook:
    """Parse a .twb/.twbx/.tds/.tdsx/.hyper file, whatever its extension says.

    ``display`` is how the file is named in the model and in errors (defaults to ``path``).
    With ``hyper``, packaged .hyper extracts get their real inventory attached; a standalone
    .hyper always needs one (a temporary session is opened when none is given).
    Raises :class:`ParseError` for anything that cannot be audited.
    """
    return load_item(path, display=display, hyper=hyper, limits=limits).workbook


def load_item(
    path: Path,
    *,
    display: str | None = None,
    hyper: HyperReader | None = None,
    limits: PackageLimits | None = None,
    sample_size: int = 0,
) -> LoadedItem:
    """Like :func:`load_file`, and with ``sample_size > 0`` also sample every extract column.

    Sampling needs ``hyper``; the values come back in :attr:`LoadedItem.samples`, apart from
    the model, so that they can never reach a report.
    """
    artifact = display or str(path)
    reading = _Reading(hyper=hyper, sample_size=sample_size if hyper is not None else 0)
    try:
        with path.open("rb") as handle:
            workbook = _load(handle, path, artifact, reading, limits or PackageLimits())
            return LoadedItem(workbook=workbook, samples=reading.samples())
    except ParseError:
        raise
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ParseError(artifact, f"cannot read the file ({reason})") from None
    except Exception as exc:  # every input must end as a Workbook or a ParseError
        # NOTE: the message is not kept: exception texts can quote content from the file.
        logger.debug("%s: unexpected %s while parsing", artifact, type(exc).__name__)
        raise ParseError(artifact, f"internal parser error ({type(exc).__name__})") from None


@dataclasses.dataclass(slots=True, kw_only=True)
class _Reading:
    """How one file is read: the Hyper session, the sample size, and what was sampled."""

    hyper: HyperReader | None
    sample_size: int
    values: dict[SampleKey, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def samples(self) -> ExtractSamples:
        return ExtractSamples(values=MappingProxyType(dict(self.values)))


def _load(
    handle: BinaryIO,
    path: Path,
    artifact: str,
    reading: _Reading,
    limits: PackageLimits,
) -> Workbook:
    head = handle.read(HEAD_SIZE)
    fmt = sniff(head)
    handle.seek(0)
    name = display_path(path.stem)
    if fmt is FileFormat.XML:
        # NOTE: read(limit) would allocate the whole limit up front; check the size instead.
        if os.fstat(handle.fileno()).st_size > limits.max_document_size:
            raise ParseError(artifact, "the XML document is larger than the parser's limit")
        data = handle.read()
        root = parse_xml(data, artifact)
        return build_workbook(root, source=artifact, name=name)
    if fmt is FileFormat.PACKAGE:
        package = Package(handle, artifact, limits)
        data = package.read_document()
        try:
            root = parse_xml(data, artifact)
        except ParseError as exc:
            raise ParseError(artifact, f"{package.document_path}: {exc.reason}") from None
        workbook = build_workbook(root, source=artifact, name=name, package=package)
        return _with_inventories(workbook, package, reading)
    if fmt is FileFormat.HYPER:
        return _standalone_hyper(path, artifact, reading)
    if fmt is FileFormat.UNKNOWN:
        raise ParseError(artifact, unknown_reason(head))
    raise ParseError(artifact, _REASONS[fmt])


def _standalone_hyper(path: Path, artifact: str, reading: _Reading) -> Workbook:
    """A bare .hyper file: its tables become data sources (``standalone_workbook``)."""
    # NOTE: imported here so that scanning XML never imports the Hyper reader.
    from tableau_audit.parsing import hyper as hyper_module

    if reading.hyper is None:
        with hyper_module.HyperSession() as session:
            inventory = session.inventory(path, label=artifact)
        return hyper_module.standalone_workbook(artifact, inventory)
    inventory, sample = _read_extract(reading, path, artifact)
    workbook = hyper_module.standalone_workbook(artifact, inventory)
    if sample is not None:
        for ds in workbook.datasources:
            reading.values.update(column_values(ds, sample))
    return workbook


def _read_extract(
    reading: _Reading, data: Path | Member, label: str
) -> tuple[HyperInventory, SampleSource | None]:
    """Inventory, plus a sample when sampling is on (one private copy either way)."""
    assert reading.hyper is not None
    if reading.sample_size > 0:
        return reading.hyper.inspect(data, label=label, size=reading.sample_size)
    return reading.hyper.inventory(data, label=label), None


def _with_inventories(workbook: Workbook, package: Package, reading: _Reading) -> Workbook:
    """Attach the real contents of every packaged .hyper extract (one read per member).

    Columns the .hyper holds but the XML never mentions are added as ``extract_only``.
    """
    if reading.hyper is None:
        return workbook
    cache: dict[str, tuple[HyperInventory, SampleSource | None]] = {}
    datasources = tuple(_inventoried(ds, package, reading, cache) for ds in workbook.datasources)
    # NOTE: build_workbook already reported what it could see without Hyper; only unreadable
    # .hyper files are new here.
    known = set(workbook.diagnostics)
    new = [d for d in extract_diagnostics(datasources) if d not in known]
    return dataclasses.replace(
        workbook, datasources=datasources, diagnostics=(*workbook.diagnostics, *new)
    )


def _inventoried(
    ds: Datasource,
    package: Package,
    reading: _Reading,
    cache: dict[str, tuple[HyperInventory, SampleSource | None]],
) -> Datasource:
    extract = ds.extract
    if (
        extract is None
        or extract.file is None
        or extract.status is not ExtractStatus.PACKAGED
        or extract.file.extract_format is not ExtractFormat.HYPER
    ):
        return ds
    member = extract.file.path
    if member not in cache:
        packaged = package.member(member)
        try:
            cache[member] = _read_extract(reading, packaged, packaged.label)
        except ParseError as exc:
            cache[member] = (HyperInventory(error=exc.reason), None)
    inventory, sample = cache[member]
    new_extract: Extract = dataclasses.replace(extract, inventory=inventory)
    read = dataclasses.replace(ds, extract=new_extract)
    described = with_undescribed_columns(with_extracted_calculations(read))
    if sample is not None:
        reading.values.update(column_values(described, sample))
    return described
