"""Labelled value columns: measure per-type precision and recall of column classification.

The set is generated deterministically from a fixed seed: every type that has a value validator,
name-only types for contrast, hard negatives (9- and 10-digit ids, booleans, years, ZIP codes,
product codes, order, invoice and tracking numbers, Luhn-valid order ids, dates that are not
birth dates, company names in ``customer_name``) and PII under neutral names (``col_7``,
``field1``). The expected label follows pii-detection.md: bare 9/10-digit numbers, dates and
person names are *not* PII without a name signal, so under a neutral name they are labelled
``none``.

Run ``python -m benchmarks.labelled_columns`` for the table, ``--write-docs`` to refresh the
"Classification precision and recall" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cases import CASES, Case
from benchmarks.docs import DOCS, markers, write_section
from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import PiiType, Tier

SEED = 20260517
MIN_ROWS, MAX_ROWS = 60, 200
NULL_SHARE = 0.05
JUNK = ("N/A", "unknown", "-", "TBD", "n/a", "?")
SECTION = "classification"
START, END = markers(SECTION)


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledColumn:
    """One labelled column: identity, sampled values (as text) and the expected type."""

    group: str
    name: str
    datatype: str
    values: tuple[str, ...] = field(repr=False)
    expected: PiiType | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """Confusion counts for one type or tier."""

    label: str
    tp: int
    fp: int
    fn: int
    support: int

    @property
    def precision(self) -> float | None:
        """TP / (TP + FP); None when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """TP / (TP + FN); None when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


Prediction = tuple[PiiType, Tier] | None
Classifier = Callable[[LabelledColumn], Prediction]


def _column_values(rng: random.Random, case: Case, index: int) -> tuple[str, ...]:
    """Sampled values for one column of ``case``: mostly real values plus NULLs and junk."""
    rows = rng.randint(MIN_ROWS, MAX_ROWS)
    out: list[str] = []
    for _ in range(rows):
        roll = rng.random()
        if case.noisy and roll < NULL_SHARE:
            out.append("")
        elif case.noisy and roll < NULL_SHARE + case.junk:
            out.append(rng.choice(JUNK))
        else:
            out.append(case.make(rng, index))
    return tuple(out)


def generate(seed: int = SEED) -> tuple[LabelledColumn, ...]:
    """The labelled set; the same seed always gives the same columns and values."""
    rng = random.Random(seed)
    return tuple(
        LabelledColumn(
            group=case.group,
            name=name,
            datatype=case.datatype,
            values=_column_values(rng, case, i),
            expected=case.expected,
        )
        for case in CASES
        for i, name in enumerate(case.names)
    )


def classify_with_library(policy: Policy | None = None) -> Classifier:
    """A classifier that runs the real ``classify_column`` with the default (or given) policy."""
    from tableau_audit.classify.columns import classify_column

    active = policy or Policy()

    def run(col: LabelledColumn) -> Prediction:
        result = classify_column(
            datasource_caption="Labelled",
            name=col.name,
            remote_name=col.name,
            caption="",
            datatype=col.datatype,
            values=col.values,
            policy=active,
        )
        return None if result is None else (result.pii_type, result.tier)

    return run


def score(
    columns: Sequence[LabelledColumn],
    predictions: Sequence[Prediction],
    tier_of: Callable[[PiiType], Tier],
) -> tuple[tuple[Score, ...], tuple[Score, ...]]:
    """Per-type and per-tier scores. A prediction is right when its type equals the label."""
    types = sorted({c.expected for c in columns if c.expected} | {p[0] for p in predictions if p})

    def is_type(target: PiiType) -> Callable[[PiiType], bool]:
        return lambda t: t is target

    def in_tier(target: Tier) -> Callable[[PiiType], bool]:
        return lambda t: tier_of(t) is target

    per_type = tuple(_score(t.value, columns, predictions, is_type(t)) for t in types)
    per_tier = tuple(
        _score(tier.label, columns, predictions, in_tier(tier))
        for tier in sorted(Tier, reverse=True)
    )
    return per_type, per_tier


def _score(
    label: str,
    columns: Sequence[LabelledColumn],
    predictions: Sequence[Prediction],
    member: Callable[[PiiType], bool],
) -> Score:
    tp = fp = fn = support = 0
    for col, pred in zip(columns, predictions, strict=True):
        expected_in = col.expected is not None and member(col.expected)
        predicted_in = pred is not None and member(pred[0])
        support += expected_in
        if predicted_in and pred is not None and pred[0] is col.expected:
            tp += 1
            continue
        fp += predicted_in
        fn += expected_in
    return Score(label=label, tp=tp, fp=fp, fn=fn, support=support)


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """The labelled set, what the classifier said about each column, and the scores."""

    seed: int
    columns: tuple[LabelledColumn, ...]
    predictions: tuple[Prediction, ...]
    per_type: tuple[Score, ...]
    per_tier: tuple[Score, ...]

    def tier(self, label: str) -> Score:
        """The score of one tier (``high``, ``moderate``, ``low``)."""
        return next(s for s in self.per_tier if s.label == label)

    def misses(self) -> tuple[tuple[LabelledColumn, PiiType | None], ...]:
        """Columns whose predicted type differs from the label, with the predicted type."""
        return tuple(
            (col, pred[0] if pred else None)
            for col, pred in zip(self.columns, self.predictions, strict=True)
            if (pred[0] if pred else None) is not col.expected
        )


def run(seed: int = SEED, classify: Classifier | None = None) -> Evaluation:
    """Generate the set with ``seed`` and classify it (default: the library, default policy)."""
    columns = generate(seed)
    predict = classify or classify_with_library()
    predictions = tuple(predict(c) for c in columns)
    per_type, per_tier = score(columns, predictions, Policy().tier_for)
    return Evaluation(
        seed=seed, columns=columns, predictions=predictions, per_type=per_type, per_tier=per_tier
    )


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _table(title: str, scores: Sequence[Score]) -> list[str]:
    return [
        f"| {title} | Columns | TP | FP | FN | Precision | Recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {s.label} | {s.support} | {s.tp} | {s.fp} | {s.fn} | "
            f"{_fmt(s.precision)} | {_fmt(s.recall)} |"
            for s in scores
        ),
    ]


def render(ev: Evaluation) -> str:
    """The Markdown section (between the classification markers)."""
    negatives = sum(c.expected is None for c in ev.columns)
    misses = ev.misses()
    lines = [
        "## Classification precision and recall",
        "",
        f"Labelled set: {len(ev.columns)} columns ({negatives} of them labelled `none`: hard "
        f"negatives), {len({c.group for c in ev.columns})} cases, generated by "
        f"`python -m benchmarks.labelled_columns` (seed {ev.seed}; the cases are in "
        "`benchmarks/cases.py`). "
        "Every column runs through `classify_column` with its sampled values and the default "
        "policy. `tests/classify/test_value_precision.py` asserts the goal: precision and recall "
        ">= 0.95 on the high and moderate tiers. Per tier, a column counts when its label or "
        "its prediction is of that tier; a prediction is right only when the type matches.",
        "",
        *_table("Tier", ev.per_tier),
        "",
        *_table("Type", ev.per_type),
        "",
        f"Misclassified columns: {len(misses)}.",
    ]
    if misses:
        lines += ["", "| Column | Case | Expected | Predicted |", "|---|---|---|---|"]
        lines += [
            f"| `{col.name}` | {col.group} | {_label(col.expected)} | {_label(got)} |"
            for col, got in misses
        ]
    return "\n".join(lines) + "\n"


def _label(pii_type: PiiType | None) -> str:
    return "none" if pii_type is None else pii_type.value


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace (or append) only the classification section of ``docs/benchmarks.md``."""
    write_section(SECTION, section, path)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the set, classify it, print the table; optionally refresh the docs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    section = render(run(args.seed))
    sys.stdout.write(section)
    if args.write_docs:
        write_docs(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
