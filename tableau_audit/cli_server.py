"""``tableau-audit server``: audit a Tableau Server / Cloud site (thin: options → source → engine).

Sign-in: a personal access token (``--token-name`` or ``TABLEAU_TOKEN_NAME``; the secret only
from ``TABLEAU_TOKEN_SECRET``), a user name and password (``--username`` or
``TABLEAU_USERNAME``; the password only from ``TABLEAU_PASSWORD``), or a connected-app JWT
(``--connected-app``; the token only from ``TABLEAU_JWT``). Secrets are never options, so they
never show in ``ps``, shell history or ``--help``, and no message or log line repeats them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tableau_audit.cli import (
    CliError,
    cli,
    cli_errors,
    setup_logging,
    write_reports,
)
from tableau_audit.cli_baseline import baseline_option, use_baseline
from tableau_audit.cli_history import NightlyOptions, gate, history_options, nightly
from tableau_audit.cli_options import (
    analysis_options,
    load_run_config,
    output_options,
    verbose_option,
)
from tableau_audit.reports.targets import ReportTarget, report_targets

if TYPE_CHECKING:
    from tableau_audit.config import AuditConfig
    from tableau_audit.sources.server import Credentials, ServerSettings

F = TypeVar("F", bound=Callable[..., Any])

SECRET_ENV = {
    "pat": ("TABLEAU_TOKEN_SECRET", "TABLEAU_AUDIT_PAT_SECRET"),
    "password": ("TABLEAU_PASSWORD",),
    "jwt": ("TABLEAU_JWT",),
}
"""Where each sign-in method's secret comes from (first set wins): the environment, never an
option. ``TABLEAU_TOKEN_SECRET`` is the documented name; ``TABLEAU_AUDIT_PAT_SECRET`` (the
house style's) is read too."""


def server_options(func: F) -> F:
    """``--server``, ``--site`` and the sign-in method (secrets come from the environment)."""
    options = [
        click.option(
            "--server",
            "server_url",
            envvar="TABLEAU_SERVER",
            metavar="URL",
            help="Tableau Server or Cloud address [env: TABLEAU_SERVER, or [server] server].",
        ),
        click.option(
            "--site",
            envvar="TABLEAU_SITE",
            metavar="CONTENT_URL",
            help="Site content URL; empty for the Default site [env: TABLEAU_SITE].",
        ),
        click.option(
            "--token-name",
            envvar="TABLEAU_TOKEN_NAME",
            metavar="NAME",
            help="Personal access token name; the secret is read from TABLEAU_TOKEN_SECRET.",
        ),
        click.option(
            "--username",
            envvar="TABLEAU_USERNAME",
            metavar="NAME",
            help="Sign in with a user name; the password is read from TABLEAU_PASSWORD.",
        ),
        click.option(
            "--connected-app",
            is_flag=True,
            help="Sign in with a connected-app JWT read from TABLEAU_JWT.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def scope_options(func: F) -> F:
    """``--project``, ``--include-datasources/--no-datasources``, concurrency and retries."""
    options = [
        click.option(
            "--project",
            "projects",
            multiple=True,
            metavar="NAME",
            help="Audit only projects with this name, path (A/B) or glob, and the projects "
            "nested in them (repeatable).",
        ),
        click.option(
            "--include-datasources/--no-datasources",
            default=True,
            show_default=True,
            help="Also audit published data sources.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            help="Items fetched and downloaded in parallel [default: 4].",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 20),
            default=5,
            show_default=True,
            help="Repeats of a request answered 429 or 5xx (with backoff, honouring Retry-After).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("server")
@server_options
@scope_options
@output_options
@analysis_options
@baseline_option
@history_options
@verbose_option
def server(
    server_url: str | None,
    site: str | None,
    token_name: str | None,
    username: str | None,
    connected_app: bool,
    projects: tuple[str, ...],
    include_datasources: bool,
    concurrency: int | None,
    retries: int,
    fmt: tuple[ReportTarget, ...],
    output: Path | None,
    color: bool | None,
    fail_on: str | None,
    config_path: Path | None,
    sample_size: int | None,
    baseline_path: Path | None,
    history_path: Path | None,
    full: bool,
    fail_on_new: bool,
    webhook: str | None,
    verbose: int,
) -> None:
    """Audit a Tableau Server / Cloud site: content, permissions and download rights."""
    nightly_options = NightlyOptions(
        history=history_path, full=full, fail_on_new=fail_on_new, webhook=webhook
    ).check()
    targets = report_targets(fmt, output)
    setup_logging(verbose)
    with cli_errors():
        from tableau_audit.engine_server import audit_server
        from tableau_audit.sources.server import ServerSource

        config = load_run_config(config_path, sample_size=sample_size, fail_on=fail_on)
        config = use_baseline(config, baseline_path)
        options = {"url": server_url, "site": site, "token_name": token_name}
        scope = {"projects": projects, "concurrency": concurrency}
        settings = server_settings(config, options, scope, username, connected_app)
        settings = dataclasses.replace(
            settings,
            include_datasources=include_datasources,
            retry=dataclasses.replace(settings.retry, retries=retries),
        )
        with (
            nightly(nightly_options, settings=settings, config=config) as recorder,
            progress_bar(sys.stderr.isatty()) as progress,
            ServerSource(settings, progress=progress, cache=recorder.cache) as source,
        ):
            result = audit_server(source, config, cache=recorder.cache)
            result = recorder.finish(result, source.snapshot(), settings)
        write_reports(result, targets, color=color, fail_on=config.fail_on)
    if not result.complete:
        click.echo("tableau-audit: the run is incomplete; see the report", err=True)
    click.get_current_context().exit(gate(result, config.fail_on, fail_on_new=fail_on_new))


def server_settings(
    config: AuditConfig,
    options: dict[str, str | None],
    scope: dict[str, Any],
    username: str | None,
    connected_app: bool,
) -> ServerSettings:
    """Options and environment first, then the configuration's ``[server]`` defaults."""
    from tableau_audit.sources.server import ServerSettings

    defaults = config.server
    url = options["url"] or defaults.server
    if not url:
        raise CliError("no server: give --server, TABLEAU_SERVER or [server] server in the config")
    site = options["site"] if options["site"] is not None else (defaults.site or "")
    token_name = options["token_name"]
    if not token_name and not username and not connected_app:
        token_name = defaults.token_name
    return ServerSettings(
        url=url,
        site=site,
        credentials=credentials(token_name, username, connected_app),
        projects=tuple(scope["projects"]) or defaults.projects,
        concurrency=scope["concurrency"] or defaults.concurrency or 4,
    )


def credentials(token_name: str | None, username: str | None, connected_app: bool) -> Credentials:
    """The one sign-in method chosen, with its secret from the environment."""
    from tableau_audit.sources.server import Credentials

    chosen = [
        method
        for method, on in (("pat", token_name), ("password", username), ("jwt", connected_app))
        if on
    ]
    if len(chosen) != 1:
        found = "none" if not chosen else " and ".join(chosen)
        raise CliError(
            "choose one sign-in method: --token-name (TABLEAU_TOKEN_NAME), --username "
            f"(TABLEAU_USERNAME) or --connected-app (got {found})"
        )
    method = chosen[0]
    secret = next((os.environ[v] for v in SECRET_ENV[method] if os.environ.get(v)), "")
    if not secret:
        raise CliError(f"{SECRET_ENV[method][0]} is not set (the {method} sign-in needs it)")
    name = token_name if method == "pat" else username if method == "password" else ""
    return Credentials(method=method, name=name or "", secret=secret)


@contextlib.contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A transient progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("items", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


cli.add_command(server)
