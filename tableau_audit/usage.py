"""Field usage: which fields of each data source something in the workbook really uses.

Pure: reads the model only (tableau-format.md §0 rules 2-3, §11, §12, §17).

The roots are everything that shows or applies a field: worksheets (hidden ones too, they are
still in the workbook), dashboards, actions, shared views, blend links, data-source filters
(often row-level security) and the formulas of parameters. From the roots the closure follows
calculated fields (including LOD expressions and cross-data-source ``[ds].[field]``
references), bins, groups and sets. A field reached only through a calculation that nothing
uses is unused.

For a standalone data source (.tds/.tdsx) nothing above it is known, so its own calculations,
groups and filters are the roots: they are what the data source offers its consumers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field

from tableau_audit.formula import formula_references
from tableau_audit.model import ArtifactKind, Datasource, FieldRef, Workbook
from tableau_audit.records import frozen

__all__ = ["PARAMETERS", "DatasourceUsage", "compute_usage"]

PARAMETERS = "Parameters"
"""Internal name of the reserved data source that holds the workbook's parameters."""


@frozen
class DatasourceUsage:
    """Used fields of one data source and, for each, what uses it."""

    used: frozenset[str]
    """Local names (bracket-free) of used fields: columns, calculations, groups."""
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per used field, sorted: ``worksheet:<name>``, ``dashboard:<name>``, ``action:<name>``,
    ``calculation:<caption>``, ``group:<caption>``, ``parameter:<caption>``, ``filter``,
    ``blend``, ``shared-view``."""


_Node = tuple[str, str]
"""``(data-source internal name, local field name)``."""
_Edge = tuple[_Node, str]
"""A field and the reason it is used."""


_Definition = tuple[str, str, str]
"""What a node's edges come from: ``(formula, home data source, reason)``."""


class _Graph:
    """What each calculation, group and parameter uses, keyed by the field it defines.

    A formula's references are read only when the closure (or a root) reaches its field: most
    calculations of a large workbook are never reached from what it shows.
    """

    __slots__ = ("_formulas", "_resolve", "_uses")

    def __init__(self, resolve: Mapping[str, str]) -> None:
        self._resolve = resolve
        self._uses: dict[_Node, tuple[_Edge, ...]] = {}
        self._formulas: dict[_Node, _Definition] = {}

    def define_formula(self, node: _Node, formula: str, home: str, reason: str) -> None:
        """``node`` uses what ``formula`` references (read later, when asked); the last wins."""
        self._uses.pop(node, None)
        self._formulas[node] = (formula, home, reason)

    def define(self, node: _Node, edges: tuple[_Edge, ...]) -> None:
        """``node`` uses ``edges``; a later definition of the same node replaces it."""
        self._formulas.pop(node, None)
        self._uses[node] = edges

    def uses(self, node: _Node) -> tuple[_Edge, ...]:
        """The fields ``node`` uses, with the reason; empty for a plain field."""
        found = self._uses.get(node)
        if found is not None:
            return found
        definition = self._formulas.pop(node, None)
        if definition is None:
            return ()
        formula, home, reason = definition
        edges = tuple((target, reason) for target in _formula_targets(formula, home, self._resolve))
        self._uses[node] = edges
        return edges


def compute_usage(workbook: Workbook) -> Mapping[str, DatasourceUsage]:
    """Per data-source internal name (every data source has an entry), its used fields."""
    graph = _build_graph(workbook)
    if workbook.kind is ArtifactKind.WORKBOOK:
        roots = list(_workbook_roots(workbook, graph))
    else:
        roots = list(_standalone_roots(workbook, graph))
    reasons = _close(roots, graph)
    by_source: dict[str, dict[str, tuple[str, ...]]] = {ds.name: {} for ds in workbook.datasources}
    for (datasource, name), why in reasons.items():
        if datasource in by_source:
            by_source[datasource][name] = why
    return {
        name: DatasourceUsage(used=frozenset(fields), reasons=dict(sorted(fields.items())))
        for name, fields in by_source.items()
    }


def _build_graph(workbook: Workbook) -> _Graph:
    """Edges from every calculation, group and parameter to the fields it references."""
    graph = _Graph(_qualifier_resolver(workbook))
    for ds in workbook.datasources:
        for calc in ds.calculations:
            reason = f"calculation:{calc.caption or calc.name}"
            graph.define_formula((ds.name, calc.name), calc.formula, ds.name, reason)
        for group in ds.groups:
            reason = f"group:{group.caption or group.name}"
            graph.define(
                (ds.name, group.name), tuple(((ds.name, ref), reason) for ref in group.references)
            )
    for parameter in workbook.parameters:
        reason = f"parameter:{parameter.caption or parameter.name}"
        graph.define_formula((PARAMETERS, parameter.name), parameter.formula, PARAMETERS, reason)
    return graph


def _qualifier_resolver(workbook: Workbook) -> Mapping[str, str]:
    """Qualifier in a formula → data-source internal name (names first, then captions)."""
    names: dict[str, str] = {PARAMETERS: PARAMETERS}
    for ds in workbook.datasources:
        names.setdefault(ds.caption, ds.name)
    for ds in workbook.datasources:
        names[ds.name] = ds.name
    return names


def _formula_targets(formula: str, home: str, resolve: Mapping[str, str]) -> Iterator[_Node]:
    """Fields a formula references; unqualified ones belong to ``home``."""
    for ref in formula_references(formula):
        if ref.datasource is None:
            yield home, ref.field
            continue
        datasource = resolve.get(ref.datasource)
        # NOTE: other qualifiers are the count-of-table pseudo-field
        # ``[__tableau_internal_object_id__].[…]`` or OLAP names: not fields of a data source.
        if datasource is not None:
            yield datasource, ref.field


def _workbook_roots(workbook: Workbook, graph: _Graph) -> Iterator[_Edge]:
    """Everything in a workbook that shows or applies a field."""
    for sheet in workbook.worksheets:
        yield from _edges(sheet.references, f"worksheet:{sheet.name}")
    for dashboard in workbook.dashboards:
        yield from _edges(dashboard.references, f"dashboard:{dashboard.name}")
    for action in workbook.actions:
        yield from _edges(action.references, f"action:{action.name}")
    yield from _edges(workbook.shared_view_references, "shared-view")
    for link in workbook.blend_links:
        yield from _edges(link.references, "blend")
    yield from _filter_roots(workbook.datasources)
    for parameter in workbook.parameters:
        yield from graph.uses((PARAMETERS, parameter.name))


def _standalone_roots(workbook: Workbook, graph: _Graph) -> Iterator[_Edge]:
    """A .tds/.tdsx (or a bare extract): its own calculations, groups and filters."""
    yield from _filter_roots(workbook.datasources)
    for ds in workbook.datasources:
        names = [calc.name for calc in ds.calculations] + [group.name for group in ds.groups]
        for name in names:
            yield from graph.uses((ds.name, name))


def _filter_roots(datasources: Iterable[Datasource]) -> Iterator[_Edge]:
    for ds in datasources:
        for name in ds.filter_fields:
            yield (ds.name, name), "filter"


def _edges(refs: Iterable[FieldRef], reason: str) -> Iterator[_Edge]:
    return (((ref.datasource, ref.field), reason) for ref in refs)


def _close(roots: Iterable[_Edge], graph: _Graph) -> dict[_Node, tuple[str, ...]]:
    """Worklist closure: a field's own uses are followed once, every edge into it adds a reason."""
    reasons: dict[_Node, dict[str, None]] = {}
    pending = list(roots)
    while pending:
        node, reason = pending.pop()
        seen = node in reasons
        reasons.setdefault(node, {})[reason] = None
        if not seen:
            pending.extend(graph.uses(node))
    return {node: tuple(sorted(why)) for node, why in reasons.items()}
