"""Render the figures of :mod:`benchmarks.parse_speed` as the "Local audit speed" section.

The verdicts (goal met or not) are computed from the figures, so a re-run never leaves a stale
claim behind. Only the text between the ``parse-speed`` markers of ``docs/benchmarks.md`` is
ever rewritten; other engineers' sections stay as they are.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.docs import DOCS, markers, write_section

__all__ = ["DOCS", "END", "START", "render", "verdicts", "write_docs"]

SECTION = "parse-speed"
START, END = markers(SECTION)

OURS, PEER = "tableau-audit scan", "py-tbparse audit"
PROBE_LABELS = {
    "ours": "tableau-audit engine, default (every .hyper: inventory + value sample)",
    "ours-nosample": "tableau-audit engine, every .hyper's inventory, no value sample",
    "ours-xml": "tableau-audit per-file path (`load_file` + `audit_workbook`), no extract opened",
    "bare": "bare `lxml.etree.parse`, same XML (read + unzip + parse)",
    "peer overview": "py-tbparse `scan_folder`, overview table",
    "peer field-usage": "py-tbparse `scan_folder`, field-usage table",
}

SHORT = {
    "ours": "by default",
    "ours-nosample": "without value sampling",
    "ours-xml": "without opening extracts",
}

Figures = Mapping[str, Any]


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


def _s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def _counts(counts: Mapping[str, int]) -> str:
    if not counts:
        return "0"
    total = sum(counts.values())
    return f"{total} ({', '.join(f'{n} {ext}' for ext, n in counts.items())})"


def render(figures: Figures) -> str:
    """The whole section, Markdown, ending with a newline."""
    lines = ["## Local audit speed", "", *_machine(figures["machine"]), ""]
    lines += _cold(figures["cold"], figures["imports"], figures["floor"])
    lines += _sweep(figures.get("sweep") or [])
    lines += _corpus(figures["corpus"])
    lines += _profile(figures.get("profile"))
    lines += ["### Reading", "", " ".join(verdicts(figures)), ""]
    return "\n".join(lines)


def _machine(m: Mapping[str, Any]) -> list[str]:
    peer = m["peer"] or "py-tbparse not available"
    return [
        f"Measured {m['date']} on {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, "
        f"{m['platform']}; tableau-audit {m['tableau_audit']}, {peer}, lxml {m['lxml']}. "
        "The machine is shared with other work, so single figures move by 10–20 %; medians of "
        "interleaved runs are given. Re-run with `python -m benchmarks.parse_speed "
        "--write-docs`; the raw samples go to `benchmarks/results/parse_speed.json` "
        "(not committed). py-tbparse lives in `benchmarks/.venv` only (`python -m "
        "benchmarks.env`), never in tableau-audit's dependencies. Every measured process runs "
        "with bytecode caching on (a private `PYTHONPYCACHEPREFIX` filled by the warm-up "
        "runs), as both tools are when pip-installed: with `PYTHONDONTWRITEBYTECODE`, our "
        "editable install would compile all its modules again on every cold run."
    ]


def _cold(
    rows: Sequence[Mapping[str, Any]], imports: Mapping[str, Any], floor: Mapping[str, Any]
) -> list[str]:
    n = len(rows[0]["timings"][OURS]["samples"]) if rows else 0
    lines = [
        "### Cold process, one file",
        "",
        f"Fresh process per run, report as JSON on stdout sent to /dev/null, {n} timed runs of "
        "each command after 2 warm-up runs, interleaved. Goal: ours at most half of py-tbparse.",
        "",
        "| File | Size | `tableau-audit scan` median / p90 | `py-tbparse audit` median / p90 "
        "| Ours ÷ peer (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, peer = row["timings"][OURS], row["timings"].get(PEER)
        ratio = f"{ours['median'] / peer['median']:.2f}" if peer else "–"
        peer_cell = f"{_ms(peer['median'])} / {_ms(peer['p90'])}" if peer else "–"
        lines.append(
            f"| `{row['file']}` | {row['size'] / 1e6:.2f} MB "
            f"| {_ms(ours['median'])} / {_ms(ours['p90'])} | {peer_cell} | {ratio} |"
        )
    lines += [
        "",
        f"The interpreter alone (`python -c pass`) takes {_ms(floor['median'])} "
        f"(p90 {_ms(floor['p90'])}).",
    ]
    cli, scan = imports["cli"], imports["scan"]
    top = ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in scan["top"][:6])
    heavy = ", ".join(f"`{m}`" for m in scan["heavy"]) or "none"
    cli_heavy = ", ".join(f"`{m}`" for m in cli["heavy"]) or "none"
    lines += [
        "",
        f"Imports (`python -X importtime`): `import tableau_audit.cli` takes "
        f"{cli['total_ms']:.0f} ms (heavy modules loaded: {cli_heavy}). "
        f"A whole scan of `{imports['scan_file']}` imports "
        f"{scan['total_ms']:.0f} ms of modules; the largest: {top}. Heavy modules it loads: "
        f"{heavy}.",
        "",
    ]
    return lines


def _sweep(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    groups = {
        "with .hyper extracts": [r for r in rows if r["extracts"]],
        "without": [r for r in rows if not r["extracts"]],
        "all": list(rows),
    }
    lines = [
        "### Cold process, every .twbx of the corpus",
        "",
        f"The same two commands on each of the corpus's {len(rows)} .twbx files, "
        f"{_repeat(rows)} timed runs each (`--sweep-repeat`), interleaved after one warm-up; "
        "per file, the ratio of the medians. Packages are split by whether they hold .hyper "
        f"extracts (ours, median: {_ms(_median_ours(groups['with .hyper extracts']))} with, "
        f"{_ms(_median_ours(groups['without']))} without).",
        "",
        "| Packages | Files | Median ratio | Lowest – highest | Files at most 0.5× |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, group in groups.items():
        if not group:
            continue
        ratios = sorted(r["ours"] / r["peer"] for r in group)
        lines.append(
            f"| {label} | {len(group)} | {statistics.median(ratios):.2f} "
            f"| {ratios[0]:.2f} – {ratios[-1]:.2f} | {sum(x <= 0.5 for x in ratios)} |"
        )
    slowest = sorted(rows, key=lambda r: r["ours"] / r["peer"], reverse=True)[:5]
    parts = "; ".join(
        f"`{r['file']}` {r['ours'] / r['peer']:.2f}× ({_ms(r['ours'])} vs {_ms(r['peer'])}, "
        f"{r['extracts']} .hyper)"
        for r in slowest
    )
    return [*lines, "", f"Highest ratios: {parts}.", ""]


def _repeat(rows: Sequence[Mapping[str, Any]]) -> str:
    counts = {r.get("repeat") for r in rows}
    return "?" if None in counts or len(counts) != 1 else str(counts.pop())


def _median_ours(rows: Sequence[Mapping[str, Any]]) -> float | None:
    return statistics.median(r["ours"] for r in rows) if rows else None


def _corpus(corpus: Mapping[str, Any]) -> list[str]:
    process, probes = corpus["process"], corpus["probes"]
    n = len(next(iter(process.values()))["samples"])
    lines = [
        "### Whole corpus, one process",
        "",
        f"`../shared/corpus/files` (143 files). Process wall time, {n} interleaved runs after "
        "one warm-up; report on stdout sent to /dev/null:",
        "",
        "| Command | Median | p90 |",
        "|---|---:|---:|",
    ]
    for label, t in process.items():
        lines.append(f"| `{label}` | {_s(t['median'])} | {_s(t['p90'])} |")
    lines += [
        "",
        "Inside one fresh interpreter, imports excluded (median of the same number of runs). "
        "Every run includes reading the files and unzipping the packaged XML:",
        "",
        "| Run | Files handled | Not handled | Time |",
        "|---|---|---|---:|",
    ]
    for kind, p in probes.items():
        lines.append(
            f"| {PROBE_LABELS.get(kind, kind)} | {_counts(p['handled'])} "
            f"| {_counts(p['skipped'])} | {_s(p['run_s'])} |"
        )
    bare = probes.get("bare")
    if bare and bare.get("parse_s") is not None:
        lines += ["", f"Of the bare run, `etree.parse` alone takes {_s(bare['parse_s'])}."]
    return [*lines, ""]


def _profile(profile: Mapping[str, Any] | None) -> list[str]:
    if not profile:
        return []
    lines = [
        "### Where our time goes",
        "",
        f"One default whole-corpus engine run under cProfile ({_s(profile['run_s'])} with the "
        "profiler's overhead, which inflates Python-heavy code most). Phases (cumulative), "
        "own time per source file (C functions by name), then the costliest functions:",
        "",
        "| Phase | Time |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {_s(sec)} |" for name, sec in profile.get("phases", ())]
    lines += ["", "| Source | Own time |", "|---|---:|"]
    lines += [f"| `{name}` | {_s(sec)} |" for name, sec in profile["files"][:8]]
    lines += ["", "| Function | Own time | Cumulative |", "|---|---:|---:|"]
    lines += [
        f"| `{name}` | {_s(own)} | {_s(cum)} |" for name, own, cum in profile["functions"][:8]
    ]
    return [*lines, ""]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def verdicts(figures: Figures) -> list[str]:
    """One sentence per goal, computed from the figures."""
    out = _cold_verdict(figures["cold"]) + _sweep_verdict(figures.get("sweep") or [])
    process, probes = figures["corpus"]["process"], figures["corpus"]["probes"]
    peers = {k: v["median"] for k, v in process.items() if k.startswith("py-tbparse")}
    if peers:
        fastest = min(peers, key=peers.__getitem__)
        ours = process[OURS]["median"]
        met = "met" if ours < peers[fastest] else "not met"
        out.append(
            f"Whole corpus, one process: ours takes {_s(ours)} against {_s(peers[fastest])} "
            f"for `{fastest}` (the faster py-tbparse run) while auditing more files and "
            f"sampling every extract; goal faster: {met}."
        )
    in_peer = [p["run_s"] for k, p in probes.items() if k.startswith("peer")]
    ours_runs = [(k, probes[k]["run_s"]) for k in SHORT if k in probes]
    if in_peer and ours_runs:
        parts = ", ".join(f"{_s(sec)} {SHORT[k]}" for k, sec in ours_runs)
        out.append(
            f"In one process without imports, py-tbparse takes {_s(min(in_peer))}; "
            f"our engine takes {parts}."
        )
    bare = probes.get("bare", {}).get("run_s")
    ratios = [
        (kind, r)
        for kind in ("ours-xml", "ours-nosample", "ours")
        if (r := _ratio(probes.get(kind, {}).get("run_s"), bare)) is not None
    ]
    if ratios:
        kind, first = ratios[0]
        met = "met" if first <= 2 else "not met"
        rest = ", ".join(f"{r:.1f}× {SHORT[k]}" for k, r in ratios[1:])
        out.append(
            f"On the same XML, our engine {SHORT[kind]} takes {first:.1f}× a bare lxml parse "
            f"(goal ≤ 2×: {met})" + (f"; {rest}." if rest else ".")
        )
    return out


def _cold_verdict(cold: Sequence[Mapping[str, Any]]) -> list[str]:
    if not cold or PEER not in cold[0]["timings"]:
        return []
    t = cold[0]["timings"]
    r = t[OURS]["median"] / t[PEER]["median"]
    met = "met" if r <= 0.5 else "not met"
    return [
        f"Cold single file (`{cold[0]['file']}`): ours takes {r:.2f}× py-tbparse's `audit` "
        f"({_ms(t[OURS]['median'])} against {_ms(t[PEER]['median'])}); goal ≤ 0.5×: {met}."
    ]


def _sweep_verdict(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    ratios = [r["ours"] / r["peer"] for r in rows]
    with_extracts = [r["ours"] / r["peer"] for r in rows if r["extracts"]]
    extracts = f" ({statistics.median(with_extracts):.2f}× for those with extracts)"
    above = [x for x in ratios if x > 0.5]
    spread = (
        f"; {len(above)} of {len(rows)} are above 0.5× (highest {max(above):.2f}×)"
        if above
        else "; none is above 0.5×"
    )
    return [
        f"Across all {len(rows)} .twbx of the corpus the median ratio is "
        f"{statistics.median(ratios):.2f}×" + (extracts if with_extracts else "") + spread + "."
    ]


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace (or append) only the parse-speed section of ``docs/benchmarks.md``."""
    write_section(SECTION, section, path)
