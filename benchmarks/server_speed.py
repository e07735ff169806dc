"""``tableau-audit server`` on a simulated site: REST calls, wall time, peak memory (issue 4).

The REST simulator (``fixtures/tableau_server``) serves a generated site in this process with a
fixed latency on every request (20 ms by default); the real command line audits it in a child
process, so its wall time and peak RSS (``wait4``) are the CLI's own. The simulator's request
log gives the REST calls.

Measurements:

1. **1,000 workbooks**, light content (a small .twb each): REST calls per workbook, wall time at
   ``--concurrency 1`` and ``8``, peak RSS.
2. **Flat memory**: peak RSS at 250, 500 and 1,000 workbooks (concurrency 8).
3. **Heavy content**: 200 workbooks cycling over the generated samples (packaged .hyper
   extracts, value sampling), concurrency 1 and 8: where parsing, not the network, dominates.

Run ``python -m benchmarks.run --only server [--write-docs]`` or
``python -m benchmarks.server_speed [--workbooks N] [--latency-ms MS] [--write-docs]``.
Timings are never asserted in tests; ``tests/sources/test_server.py`` runs a 20-workbook test
of :func:`site_spec` with an exact request budget.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.docs import DOCS, markers, write_section
from fixtures.tableau_server.site import permission_rule as rule

__all__ = ["Measurement", "main", "measure", "render", "site_spec"]

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "server_speed.json"
SECTION = "server-speed"
START, END = markers(SECTION)
TOKEN_NAME, TOKEN_SECRET = "bench-token", "bench-secret-not-real"
HEAVY_SAMPLES = (
    "doj_permits.twbx",
    "clean_sales.twbx",
    "hr_shown.twbx",
    "hidden_in_extract.twbx",
    "credentials.twb",
    "multi_table.twbx",
)

_CONNECTION = """
      <connection class='federated'>
        <named-connections>
          <named-connection caption='db' name='postgres.{n}'>
            <connection class='postgres' dbname='sales' port='5432' server='db{n}.example.org'
                        username='reader' authentication='username-password' />
          </named-connection>
        </named-connections>
        <relation connection='postgres.{n}' name='orders' table='[public].[orders]' type='table' />
        <metadata-records>{records}</metadata-records>
      </connection>"""

LIGHT_TWB = """<?xml version='1.0' encoding='utf-8' ?>
<workbook version='18.1' xmlns:user='http://www.tableausoftware.com/xml/user'>
  <datasources>
    <datasource caption='Orders {n}' inline='true' name='federated.{n}' version='18.1'>
      {connection}
    </datasource>
  </datasources>
  <worksheets>
    <worksheet name='Sales by Region'>
      <table>
        <view>
          <datasources><datasource caption='Orders {n}' name='federated.{n}' /></datasources>
          <datasource-dependencies datasource='federated.{n}'>
            <column datatype='string' name='[Region]' role='dimension' type='nominal' />
            <column datatype='real' name='[Sales]' role='measure' type='quantitative' />
          </datasource-dependencies>
        </view>
        <rows>[federated.{n}].[Region]</rows>
        <cols>[federated.{n}].[Sales]</cols>
      </table>
    </worksheet>
  </worksheets>
</workbook>
"""
"""A small workbook: six columns (an SSN and an e-mail among them), one sheet using two."""

LIGHT_TDS = """<?xml version='1.0' encoding='utf-8' ?>
<datasource formatted-name='Source {n}' inline='true' version='18.1'
            xmlns:user='http://www.tableausoftware.com/xml/user'>
  {connection}
</datasource>
"""
"""A small published data source with the same six columns."""

_RECORD = """
          <metadata-record class='column'><remote-name>{remote}</remote-name>
            <remote-type>130</remote-type><local-name>[{local}]</local-name>
            <parent-name>[orders]</parent-name><local-type>{type}</local-type></metadata-record>"""
_COLUMNS = (
    ("region", "Region", "string"),
    ("sales", "Sales", "real"),
    ("order_id", "Order ID", "string"),
    ("customer_email", "Customer Email", "string"),
    ("ssn", "SSN", "string"),
    ("order_date", "Order Date", "date"),
)
LIGHT_RECORDS = "".join(_RECORD.format(remote=r, local=n, type=t) for r, n, t in _COLUMNS)


def light(template: str, n: int) -> str:
    """``template`` (:data:`LIGHT_TWB` or :data:`LIGHT_TDS`) for item number ``n``."""
    connection = _CONNECTION.format(n=n, records=LIGHT_RECORDS)
    return template.format(n=n, connection=connection)


def _people(users: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    roles = ("Creator", "Explorer", "Explorer", "Viewer", "Viewer")
    people = [{"name": "auditor", "siteRole": "SiteAdministratorExplorer"}]
    people += [{"name": f"user{i:03d}", "siteRole": roles[i % len(roles)]} for i in range(users)]
    people.append({"name": "Guest", "siteRole": "Guest"})
    groups = [
        {"name": f"Team {g}", "members": [f"user{i:03d}" for i in range(g, users, 5)]}
        for g in range(5)
    ]
    return people, groups


def _projects(count: int) -> list[dict[str, Any]]:
    projects: list[dict[str, Any]] = []
    for p in range(count):
        project: dict[str, Any] = {"name": f"Project {p:02d}", "owner": "auditor"}
        if p % 4 == 0:  # every fourth one is locked, with public defaults
            project["contentPermissions"] = "LockedToProject"
            project["defaultWorkbookPermissions"] = [
                rule("group", "All Users", Read="Allow", ViewUnderlyingData="Allow")
            ]
            project["defaultDatasourcePermissions"] = [
                rule("group", "All Users", Read="Allow", Connect="Allow")
            ]
        projects += [project, {"name": f"Project {p:02d} child", "parent": f"Project {p:02d}"}]
    return projects


def _workbook(i: int, project: str, heavy: Path | None) -> dict[str, Any]:
    book: dict[str, Any] = {
        "name": f"Workbook {i:04d}",
        "project": project,
        "owner": "auditor",
        "permissions": [rule("group", f"Team {i % 5}", Read="Allow", ExportData="Allow")]
        + ([rule("group", "All Users", Read="Allow")] if i % 10 == 0 else []),
        "connections": [
            {"type": "postgres", "serverAddress": f"db{i}.example.org", "userName": "reader"}
            | ({"embedPassword": True} if i % 7 == 0 else {})
        ],
    }
    if heavy is not None:
        book["content"] = str(heavy / HEAVY_SAMPLES[i % len(HEAVY_SAMPLES)])
    else:
        book["contentText"] = light(LIGHT_TWB, i)
    if i % 10 == 5:  # tabs hidden: each view has its own rules
        book["showTabs"] = False
        book["views"] = [
            {
                "name": "Summary",
                "permissions": [rule("group", "All Users", Read="Allow")],
            },
            {
                "name": "Detail",
                "permissions": [rule("group", f"Team {i % 5}", Read="Allow")],
            },
        ]
    return book


def site_spec(
    workbooks: int, *, heavy: Path | None = None, users: int = 50, projects: int | None = None
) -> dict[str, Any]:
    """A site of ``workbooks`` workbooks (plus one published data source per 50).

    ``projects`` top-level projects (default one per 50 workbooks), each with a nested child;
    every fourth top-level one is ``LockedToProject``.
    """
    people, groups = _people(users)
    tree = _projects(projects or max(1, workbooks // 50))
    names = [p["name"] for p in tree]
    datasources = [
        {
            "name": f"Source {d:03d}",
            "project": names[d % len(names)],
            "owner": "auditor",
            "contentText": light(LIGHT_TDS, 10_000 + d),
            "permissions": [rule("group", "All Users", Read="Allow", Connect="Allow")],
        }
        for d in range(max(1, workbooks // 50))
    ]
    return {
        "site": {"name": "Benchmark", "contentUrl": "bench", "guestAccessEnabled": True},
        "users": people,
        "groups": groups,
        "tokens": [{"name": TOKEN_NAME, "secret": TOKEN_SECRET, "user": "auditor"}],
        "projects": tree,
        "datasources": datasources,
        "workbooks": [_workbook(i, names[i % len(names)], heavy) for i in range(workbooks)],
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One run of the CLI against the simulated site."""

    label: str
    workbooks: int
    datasources: int
    concurrency: int
    latency_ms: float
    requests: int
    by_route: dict[str, int]
    wall_s: float
    peak_rss_mb: float
    audit_rss_mb: float | None
    """Peak RSS of the audit alone (engine, no report rendering) in a second child process."""
    exit_code: int
    items_audited: int
    items_skipped: int
    report_mb: float = 0.0

    @property
    def calls_per_workbook(self) -> float:
        """Every REST call of the run (sign-in and listings included) per workbook."""
        return self.requests / self.workbooks


def run_child(command: list[str], url: str) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of one child process."""
    env = {
        **os.environ,
        "TABLEAU_SERVER": url,
        "TABLEAU_SITE": "bench",
        "TABLEAU_TOKEN_NAME": TOKEN_NAME,
        "TABLEAU_TOKEN_SECRET": TOKEN_SECRET,
        "TABLEAU_AUDIT_WEBHOOK": "",  # NOTE: a developer's webhook never receives bench runs
    }
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)  # Linux: KiB


def _run_cli(url: str, concurrency: int, out: Path) -> tuple[float, float, int]:
    """One ``tableau-audit server --format json:OUT`` run."""
    command = [sys.executable, "-m", "tableau_audit", "server", "--format", f"json:{out}"]
    command += ["--concurrency", str(concurrency), "--fail-on", "critical"]
    return run_child(command, url)


def audit_only(concurrency: int) -> int:
    """``--probe``: the engine on the site named by the environment, no report (a child)."""
    from tableau_audit.config import AuditConfig
    from tableau_audit.engine_server import audit_server
    from tableau_audit.sources.server import Credentials, ServerSettings, ServerSource

    credentials = Credentials(method="pat", name=TOKEN_NAME, secret=TOKEN_SECRET)
    settings = ServerSettings(
        url=os.environ["TABLEAU_SERVER"],
        site="bench",
        credentials=credentials,
        concurrency=concurrency,
    )
    with ServerSource(settings) as source:
        result = audit_server(source, AuditConfig())
    return 0 if result.complete else 2


def measure(
    label: str,
    workbooks: int,
    concurrency: int,
    *,
    latency_ms: float = 20.0,
    heavy: Path | None = None,
    probe: bool = False,
) -> Measurement:
    """Serve a generated site and audit it once with the CLI."""
    from fixtures.tableau_server import SimulatedServer, site_from_dict

    spec = site_spec(workbooks, heavy=heavy)
    with SimulatedServer(site_from_dict(spec)) as srv, tempfile.TemporaryDirectory() as tmp:
        if latency_ms > 0:
            srv.faults.latency(latency_ms / 1000)
        out = Path(tmp) / "report.json"
        wall, rss, code = _run_cli(srv.url, concurrency, out)
        counts = srv.log.counts()
        audit_rss = None
        if probe:
            probe_command = [sys.executable, "-m", "benchmarks.server_speed"]
            probe_command += ["--probe", "--concurrency", str(concurrency)]
            audit_rss = round(run_child(probe_command, srv.url)[1], 1)
        report_mb = out.stat().st_size / 1e6 if out.exists() else 0.0
        summary = json.loads(out.read_text(encoding="utf-8"))["summary"] if out.exists() else {}
    result = Measurement(
        label=label,
        workbooks=workbooks,
        datasources=len(spec["datasources"]),
        concurrency=concurrency,
        latency_ms=latency_ms,
        requests=sum(counts.values()),
        by_route=dict(sorted(counts.items())),
        wall_s=round(wall, 2),
        peak_rss_mb=round(rss, 1),
        audit_rss_mb=audit_rss,
        exit_code=code,
        items_audited=int(summary.get("items_audited", 0)),
        items_skipped=int(summary.get("items_skipped", 0)),
        report_mb=round(report_mb, 1),
    )
    logger.info(
        "%s: %d workbooks, concurrency %d: %.1f s, %.1f MB, %d requests (%.2f per workbook)",
        label, workbooks, concurrency, result.wall_s, result.peak_rss_mb, result.requests,
        result.calls_per_workbook,
    )  # fmt: skip
    return result


def heavy_samples() -> Path:
    """The generated samples (``fixtures/generated``), generated when missing."""
    from fixtures.generate import DEFAULT_OUT, generate

    if not all((DEFAULT_OUT / name).is_file() for name in HEAVY_SAMPLES):
        generate(DEFAULT_OUT)
    return DEFAULT_OUT


def run_all(workbooks: int, latency_ms: float) -> list[Measurement]:
    """Every measurement of the module docstring, in order."""
    runs = [measure("full", workbooks, c, latency_ms=latency_ms, probe=c == 8) for c in (1, 8)]
    runs += [
        measure("memory", n, 8, latency_ms=latency_ms, probe=True)
        for n in (workbooks // 4, workbooks // 2)
    ]
    samples = heavy_samples()
    heavy = max(1, workbooks // 5)
    runs += [measure("heavy", heavy, c, latency_ms=latency_ms, heavy=samples) for c in (1, 8)]
    return runs


def _row(m: Measurement) -> str:
    return (
        f"| {m.workbooks:,} | {m.datasources} | {m.concurrency} | {m.requests:,} | "
        f"{m.calls_per_workbook:.2f} | {m.wall_s:.1f} | {m.peak_rss_mb:.0f} | "
        f"{m.items_audited:,} | {m.items_skipped} |"
    )


def render(runs: Sequence[Measurement]) -> str:
    """The docs section (markdown, between the server-speed markers)."""
    full = {m.concurrency: m for m in runs if m.label == "full"}
    heavy = {m.concurrency: m for m in runs if m.label == "heavy"}
    memory = sorted((m for m in runs if m.label in ("full", "memory") and m.concurrency == 8),
                    key=lambda m: m.workbooks)  # fmt: skip
    head = (
        "| Workbooks | Data sources | Concurrency | REST calls | Calls per workbook | "
        "Wall time (s) | Peak RSS (MB) | Items audited | Skipped |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    one, eight = full.get(1), full.get(8)
    lines = [
        "## Server audit: REST calls, concurrency and memory",
        "",
        f"`python -m benchmarks.run --only server` ({platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {dt.date.today().isoformat()}). The REST simulator serves a "
        f"generated site with {runs[0].latency_ms:.0f} ms latency on every request; "
        "`tableau-audit server --format json` runs in a child process (its own wall time and "
        "peak RSS from `wait4`). Calls are every request the simulator logged (sign-in, "
        "listings, per-item calls) divided by the number of workbooks.",
        "",
        "**1. Light content** (a small .twb per workbook):",
        "",
        head,
        *(_row(m) for m in (one, eight) if m is not None),
        "",
    ]
    if one is not None and eight is not None:
        lines += [
            f"Concurrency 8 is **{one.wall_s / eight.wall_s:.1f}×** faster than 1; "
            f"{eight.calls_per_workbook:.2f} REST calls per workbook "
            f"({', '.join(f'{k} {v}' for k, v in eight.by_route.items())}).",
            "",
        ]
    lines += [
        "**2. Peak memory by site size** (concurrency 8). *Audit only* is the engine alone "
        "in a second child process (same site, no report): the audit is flat; what grows with "
        "the site is the report, built in memory before it is written.",
        "",
        "| Workbooks | Peak RSS, CLI with JSON report (MB) | Peak RSS, audit only (MB) | "
        "JSON report (MB) |",
        "|---:|---:|---:|---:|",
        *(
            f"| {m.workbooks:,} | {m.peak_rss_mb:.0f} | "
            f"{m.audit_rss_mb if m.audit_rss_mb is not None else float('nan'):.0f} | "
            f"{m.report_mb:.1f} |"
            for m in memory
        ),
        "",
    ]
    if heavy:
        lines += [
            "**3. Heavy content** (the generated samples: packaged .hyper extracts, values "
            "sampled for classification):",
            "",
            head,
            *(_row(heavy[c]) for c in sorted(heavy)),
            "",
        ]
    lines += [NOTES, ""]
    return "\n".join(lines)


NOTES = """\
Why these figures: per workbook the auditor needs its permissions (skipped in a locked project,
whose default rules govern), its connections (embedded credentials) and its content; views are
listed once for the whole site, and only when some workbook hides its tabs (their views then
need their own permissions). Users, groups, projects and the locked projects' default rules are
read once. Lists are paged at 1,000 items. Downloads go to a private temporary directory and
each item's file and model are dropped once its report is built, so memory grows only with the
reports. Parsing runs on one thread (the run's Hyper process is shared): with light content the
network dominates and concurrency pays; with packaged extracts and value sampling the parse
dominates and the speed-up is bounded by it."""


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace (or append) only the server-speed section of ``docs/benchmarks.md``."""
    write_section(SECTION, section, path)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (``python -m benchmarks.server_speed``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=1000, help="site size (default 1000)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="per request (default 20)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=8, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return audit_only(args.concurrency)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    runs = run_all(args.workbooks, args.latency_ms)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps([asdict(m) for m in runs], indent=2) + "\n", encoding="utf-8")
    section = render(runs)
    sys.stdout.write(section)
    if args.write_docs:
        write_docs(section)
    broken = [m for m in runs if m.exit_code not in (0, 1) or m.items_skipped]
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
