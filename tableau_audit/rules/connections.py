"""TA3xx: credentials and secrets stored in the file, or embedded in a published connection."""

from __future__ import annotations

from collections.abc import Iterator

from tableau_audit.findings import Location, Severity, Violation
from tableau_audit.model import ArtifactKind, StoredSecret, Workbook
from tableau_audit.rules.base import Needs, Rule, RuleContext

PASSWORD_KIND = "password"  # noqa: S105 - a kind label, not a credential
"""Kind the parser gives a non-empty ``password`` attribute on a connection."""

_CREDENTIAL_MARKERS = ("password", "private-key", "aws", "credential")
"""Secret kinds that unlock data by themselves (graded HIGH); API keys and tokens are MEDIUM."""


def _location(wb: Workbook, secret: StoredSecret) -> Location:
    return Location(
        artifact=wb.source,
        object_path=(*secret.place, f"attribute:{secret.attribute}"),
        line=secret.line,
    )


def _where(secret: StoredSecret) -> str:
    return " › ".join(part.split(":", 1)[-1] for part in secret.place) or "the file"


def _stored_passwords(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per connection whose ``password`` attribute is non-empty."""
    for secret in wb.secrets:
        if secret.kind != PASSWORD_KIND:
            continue
        yield Violation(
            location=_location(wb, secret),
            message=(
                f"A database password is stored in the file ({_where(secret)}, attribute "
                f"{secret.attribute!r}, masked {secret.masked})"
            ),
            evidence={"kind": secret.kind, "masked": secret.masked},
        )


def _other_secrets(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per API key, access token or credential found outside ``password``."""
    for secret in wb.secrets:
        if secret.kind == PASSWORD_KIND:
            continue
        is_credential = any(marker in secret.kind for marker in _CREDENTIAL_MARKERS)
        yield Violation(
            location=_location(wb, secret),
            message=(
                f"A secret ({secret.kind}) is stored in {_where(secret)}, attribute "
                f"{secret.attribute!r} (masked {secret.masked})"
            ),
            severity=Severity.HIGH if is_credential else Severity.MEDIUM,
            evidence={"kind": secret.kind, "masked": secret.masked},
        )


def _embedded_server_credentials(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per server connection that embeds a password for a user name (TA302)."""
    if wb.server is None:
        return
    public = ctx.access is not None and ctx.access.open_to_everyone("Read")
    for conn in wb.server.connections:
        if not conn.embed_password or not conn.username:
            continue
        target = conn.datasource_name or conn.connection_type
        host = f" on {conn.server_address}" if conn.server_address else ""
        audience = ", and everyone can open the item" if public else ""
        yield Violation(
            location=Location(artifact=wb.source, object_path=(f"server-connection:{conn.id}",)),
            message=(
                f"The {conn.connection_type} connection of {target!r}{host} embeds a database "
                f"login (user name and password): every viewer queries as that user{audience}"
            ),
            severity=Severity.HIGH if public else Severity.MEDIUM,
            evidence={
                "connection_type": conn.connection_type,
                "server_address": conn.server_address,
                # NOTE: the database user name is not reported (as peers redact it): it is
                # half of a credential and says which account to attack.
                "username_stored": True,
                "open_to_everyone": public,
            },
        )


HELP_TA301 = """\
**Why it matters.** A non-empty `password` attribute on a connection is a database credential
in clear text. Anyone who receives the file (a download, an e-mail, a repository) can connect to
the database directly, bypassing Tableau's permissions and row-level security.

**How to fix.** Remove the attribute, rotate the password, and let Tableau prompt for it or
store it on the server (embedded credentials managed by Tableau Server / Cloud, or OAuth).
"""

HELP_TA303 = """\
**Why it matters.** API keys and access tokens (map services such as Mapbox, cloud keys, JWTs)
or credentials inside initial SQL, custom SQL or connection strings travel with the file.
Whoever receives it can use them.

**How to fix.** Remove the secret from the workbook, rotate it, and configure it on the server
or in the map-service settings of the Tableau deployment instead.
"""

TA301 = Rule(
    id="TA301",
    name="stored-password",
    severity=Severity.HIGH,
    summary="A database password is stored in the file.",
    help=HELP_TA301,
    check=_stored_passwords,
    tags=("credentials",),
    cwe=798,
)

HELP_TA302 = """\
**Why it matters.** A published connection with an embedded password runs every query as the
stored database account, whoever looks: row-level security in the database no longer applies,
and anyone who can open (or web-edit, or download) the content uses that account. Open to All
Users or Guest, the account serves the whole site or the public.

**How to fix.** Prefer "Prompt user" or OAuth / Kerberos delegation so that each viewer queries
as themselves; otherwise use a least-privilege read-only account limited to the columns the
content needs, and restrict who can open the item.
"""

TA302 = Rule(
    id="TA302",
    name="embedded-server-credentials",
    severity=Severity.MEDIUM,
    summary="A published connection embeds a database password (higher when open to everyone).",
    help=HELP_TA302,
    check=_embedded_server_credentials,
    needs=Needs.SERVER,
    applies_to=frozenset({ArtifactKind.WORKBOOK, ArtifactKind.DATASOURCE}),
    graded=True,
    tags=("credentials", "sharing"),
    cwe=522,
)

TA303 = Rule(
    id="TA303",
    name="stored-secret",
    severity=Severity.MEDIUM,
    summary="An API key, access token or credential is stored in the file.",
    help=HELP_TA303,
    check=_other_secrets,
    graded=True,
    tags=("credentials",),
    cwe=798,
)
