"""The stored analysis of a published item: its parsed model and column classifications as JSON.

A nightly run re-evaluates the rules of an unchanged item on what the history stored the last
time the item was downloaded, so what is stored is what the rules and the reports read:

* the :class:`~tableau_audit.model.Workbook` without its ``server`` part (permissions and
  connections are re-read on every run), with custom SQL reduced to its presence and every
  calculation or parameter formula reduced to the field references in it (usage needs nothing
  more; literals and comments, where a pasted credential could sit, are dropped);
* the column classifications (types, tiers, counts and masked exemplars).

The model never holds a sampled value, a password or a token (stored secrets are masked at
parse time), so neither does this. The encoding is generic over the frozen dataclasses,
driven by their type hints; fields equal to their defaults are left out.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

from tableau_audit import __version__
from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import CLASSIFIER_VERSION, ColumnClassification
from tableau_audit.formula import formula_references
from tableau_audit.model import Calculation, Datasource, Relation, Workbook
from tableau_audit.sources.cache import StoredAnalysis

__all__ = ["ANALYSIS_FORMAT", "AnalysisDecodeError", "analysis_key", "decode", "encode", "redact"]

ANALYSIS_FORMAT = 1
"""Bump when the stored JSON changes shape: older analyses are then re-downloaded."""


class AnalysisDecodeError(ValueError):
    """A stored analysis does not fit the current model (the item is downloaded again)."""


def analysis_key(policy: Policy) -> str:
    """What a stored analysis depends on besides the item: tool, classifier and policy.

    A stored analysis is reused only under the same key, so a new release or a changed
    classification policy (types, tiers, patterns, sample size) re-analyses every item.
    """
    parts = {
        "format": ANALYSIS_FORMAT,
        "tool": __version__,
        "classifier": CLASSIFIER_VERSION,
        "policy": _encode_value(policy),
    }
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def redact(workbook: Workbook) -> Workbook:
    """The model as stored: no server part, no SQL text, no database user names, formulas
    reduced to references."""
    return dataclasses.replace(
        workbook,
        server=None,
        datasources=tuple(_redact_datasource(ds) for ds in workbook.datasources),
        parameters=tuple(
            dataclasses.replace(p, formula=references_only(p.formula)) for p in workbook.parameters
        ),
    )


def _redact_datasource(ds: Datasource) -> Datasource:
    # NOTE: the database user name is half of a credential; no rule or report reads it.
    return dataclasses.replace(
        ds,
        connections=tuple(dataclasses.replace(c, username="") for c in ds.connections),
        relations=tuple(_redact_relation(r) for r in ds.relations),
        calculations=tuple(_redact_calculation(c) for c in ds.calculations),
    )


def _redact_relation(relation: Relation) -> Relation:
    # NOTE: "" keeps the fact that the relation is custom SQL; no rule reads the text.
    sql = None if relation.custom_sql is None else ""
    return dataclasses.replace(relation, custom_sql=sql)


def _redact_calculation(calc: Calculation) -> Calculation:
    return dataclasses.replace(calc, formula=references_only(calc.formula))


def references_only(formula: str) -> str:
    """``[a] [ds].[b]``: the references of ``formula``, re-escaped, nothing else.

    ``formula_references(references_only(f)) == formula_references(f)`` for every ``f``.
    """

    def bracket(name: str) -> str:
        return "[" + name.replace("]", "]]") + "]"

    parts = [
        bracket(ref.field)
        if ref.datasource is None
        else f"{bracket(ref.datasource)}.{bracket(ref.field)}"
        for ref in formula_references(formula)
    ]
    return " ".join(parts)


def encode(analysis: StoredAnalysis) -> str:
    """JSON text of a stored analysis (the model is redacted here, whatever the caller did)."""
    document = {
        "format": ANALYSIS_FORMAT,
        "workbook": _encode_value(redact(analysis.workbook)),
        "classifications": [
            [datasource, column, _encode_value(found)]
            for (datasource, column), found in sorted(analysis.classifications.items())
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> StoredAnalysis:
    """The stored analysis; :class:`AnalysisDecodeError` when it does not fit the model."""
    try:
        document = json.loads(text)
        if document.get("format") != ANALYSIS_FORMAT:
            raise AnalysisDecodeError("stored analysis has another format")
        workbook = _decode_value(Workbook, document["workbook"])
        classifications = {
            (str(ds), str(col)): _decode_value(ColumnClassification, found)
            for ds, col, found in document["classifications"]
        }
    except AnalysisDecodeError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        # NOTE: the message of the underlying error may quote stored text: name its type only.
        raise AnalysisDecodeError(f"stored analysis unreadable ({type(error).__name__})") from None
    return StoredAnalysis(workbook=workbook, classifications=classifications)


# --- generic dataclass <-> JSON --------------------------------------------------------------


def _encode_value(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value)
    if isinstance(value, enum.Enum):  # before int/str: IntEnum and str enums
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {_key(k): _encode_value(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_encode_value(v) for v in value), key=lambda v: json.dumps(v))
    if isinstance(value, list | tuple):
        return [_encode_value(v) for v in value]
    raise TypeError(f"cannot store a {type(value).__name__}")


def _key(key: object) -> str:
    return str(key.value) if isinstance(key, enum.Enum) else str(key)


def _encode_dataclass(value: Any) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for spec in dataclasses.fields(value):
        current = getattr(value, spec.name)
        if _is_default(spec, current):
            continue
        encoded[spec.name] = _encode_value(current)
    return encoded


def _is_default(spec: dataclasses.Field[Any], current: object) -> bool:
    if spec.default is not dataclasses.MISSING:
        return bool(current == spec.default)
    if spec.default_factory is not dataclasses.MISSING:
        return bool(current == spec.default_factory())
    return False


_HINTS: dict[type, dict[str, Any]] = {}
"""Resolved type hints per model class. NOTE: a memo of immutable class facts, not state:
resolving them for every decoded column would dominate the cost of reusing an analysis."""


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = typing.get_type_hints(cls)
        _HINTS[cls] = found
    return found


def _decode_value(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode_value(options[0], value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode_value(args[0], v) for v in _list(value))
        return tuple(_decode_value(a, v) for a, v in zip(args, _list(value), strict=True))
    if origin is frozenset:
        return frozenset(_decode_value(typing.get_args(hint)[0], v) for v in _list(value))
    if origin is not None:  # Mapping[str, object]: plain JSON, as the reports render it
        if not isinstance(value, dict):
            raise TypeError("expected an object")
        return value
    return _decode_plain(hint, value)


def _decode_plain(hint: Any, value: Any) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError("expected an object")
        hints = _hints(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        if not set(value) <= known:
            raise KeyError("unknown field")
        return hint(**{name: _decode_value(hints[name], v) for name, v in value.items()})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is object or hint is Any:
        return value
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    raise TypeError(f"expected {getattr(hint, '__name__', hint)}")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value
