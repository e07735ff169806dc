"""The audited objects, as frozen typed values.

The parsers (``parsing/``) build these from XML, ZIP packages and .hyper files; everything
downstream (usage, classification, rules, reports) reads them and never touches raw XML.
Names are normalised at the parse boundary: field names carry no brackets, ``caption`` falls
back to the name, ``_.fcp.*`` prefixes are gone.

Nothing here ever holds a data value sampled from an extract, a password or a token. Stored
secrets are described by :class:`StoredSecret` (kind, place, masked form) only.
"""

from __future__ import annotations

import enum

from tableau_audit.records import frozen


class ArtifactKind(str, enum.Enum):
    """What an audited item is."""

    WORKBOOK = "workbook"
    DATASOURCE = "datasource"
    EXTRACT = "extract"


class PackagedFileKind(str, enum.Enum):
    """Role of a member inside a .twbx/.tdsx package."""

    DOCUMENT = "document"  # the .twb/.tds itself
    EXTRACT = "extract"  # .hyper / .tde
    RAW_DATA = "raw-data"  # .csv, .xlsx, .json, ... copied into the package
    QUERY_CACHE = "query-cache"  # TwbxExternalCache / ExternalCacheV1 result caches
    IMAGE = "image"
    OTHER = "other"


class ExtractFormat(str, enum.Enum):
    """File format of an extract, detected from its magic bytes (never from the name)."""

    HYPER = "hyper"
    TDE = "tde"
    EMPTY = "empty"  # zero-byte placeholder
    UNKNOWN = "unknown"


class ExtractStatus(str, enum.Enum):
    """Whether the data an extract definition names actually ships with the item."""

    PACKAGED = "packaged"  # the file is inside the package (see ``Extract.file``)
    MISSING = "missing"  # a package, but the file is not in it
    EMPTY = "empty"  # a zero-byte placeholder is packaged
    NOT_PACKAGED = "not-packaged"  # a bare .twb/.tds: the extract lives on the author's disk
    DISABLED = "disabled"  # ``enabled='false'``: a stale definition


@frozen
class FieldRef:
    """A reference to a field of a data source, by internal names."""

    datasource: str
    """Internal data-source name (``federated.0abc…``), never the caption."""
    field: str
    """Local field name without brackets: a physical column, calculation, group or parameter."""


@frozen
class Connection:
    """A leaf connection (named-connection child, or the legacy single connection)."""

    connection_class: str
    server: str = ""
    port: str = ""
    dbname: str = ""
    schema: str = ""
    username: str = ""
    authentication: str = ""
    filename: str = ""
    directory: str = ""
    caption: str = ""
    has_password: bool = False
    """A non-empty ``password`` attribute is stored in the file (its value is never kept)."""
    has_initial_sql: bool = False
    line: int | None = None


@frozen
class Relation:
    """A table, custom SQL query, join, union or collection the data source reads."""

    name: str
    relation_type: str
    """``table``, ``text`` (custom SQL), ``join``, ``union``, ``collection``, ..."""
    table: str = ""
    connection: str = ""
    custom_sql: str | None = None
    """Custom SQL text (workbook content, not data). Never copied into a report."""
    line: int | None = None


@frozen
class Column:
    """A physical column of a data source (from ``metadata-records`` or relation columns)."""

    name: str
    """Local name without brackets (``First Name``)."""
    caption: str
    """What users see: the ``<column caption>`` override, else the name."""
    remote_name: str = ""
    """Column name in the source, empty when unknown."""
    table: str = ""
    """Parent relation or logical-table object id, without brackets."""
    datatype: str = ""
    hidden: bool = False
    extract_only: bool = False
    """In the extract file but not described by the XML: shipped data nothing explains."""
    line: int | None = None


@frozen
class Calculation:
    """A calculated field, bin or categorical bin defined in a data source."""

    name: str
    caption: str
    formula: str
    """Formula text. For bins and categorical bins, the bracketed source field."""
    calc_class: str = "tableau"
    datatype: str = ""
    hidden: bool = False
    line: int | None = None


@frozen
class Group:
    """A group, set or combined field. Uses the fields named in ``references``."""

    name: str
    caption: str
    references: tuple[str, ...]
    """Local names of the fields the group is built on (bracket-free)."""
    hidden: bool = False
    line: int | None = None


@frozen
class ExtractColumn:
    """One column of an extract: the workbook field and where it lives in the extract file."""

    local_name: str
    remote_name: str
    table: str
    """Extract table as ``schema.table`` (``Extract.Extract``), or the bare table name."""


@frozen
class PackagedFile:
    """A member of a .twbx/.tdsx package (name repaired from cp437, never used as a path)."""

    path: str
    size: int
    kind: PackagedFileKind
    extract_format: ExtractFormat | None = None
    """Set for members whose first bytes were read (extract candidates)."""


@frozen
class HyperColumn:
    """A column physically present in a .hyper table."""

    name: str
    sql_type: str


@frozen
class HyperTable:
    """A table physically present in a .hyper file."""

    schema: str
    name: str
    row_count: int
    columns: tuple[HyperColumn, ...]

    @property
    def qualified_name(self) -> str:
        """``schema.table``, the form :class:`ExtractColumn.table` uses."""
        return f"{self.schema}.{self.name}"


@frozen
class HyperInventory:
    """What a .hyper file really contains. ``error`` is set when it could not be read."""

    tables: tuple[HyperTable, ...] = ()
    error: str | None = None


@frozen
class Extract:
    """An extract a data source reads: its definition in the XML and what ships with it."""

    dbname: str
    """Extract file as named in the XML (package-relative in packages, absolute otherwise)."""
    connection_class: str
    enabled: bool = True
    live: bool = False
    """True when the data source's *live* connection reads the file (class hyper/dataengine)."""
    columns: tuple[ExtractColumn, ...] = ()
    """Column mapping from the extract metadata (``metadata-record`` / ``cols/map``)."""
    row_count_hint: int | None = None
    """``refresh-event/@rows-inserted`` when present."""
    status: ExtractStatus = ExtractStatus.NOT_PACKAGED
    file: PackagedFile | None = None
    inventory: HyperInventory | None = None
    """Filled by the .hyper reader when the file could be opened (or failed to)."""
    line: int | None = None


@frozen
class PublishedRef:
    """A reference to a published data source (``sqlproxy`` / ``repository-location``)."""

    name: str
    server: str = ""
    site: str = ""
    path: str = ""


@frozen
class Datasource:
    """A data source: embedded in a workbook, or the root of a .tds/.tdsx."""

    name: str
    """Internal name (``federated.0abc…``); qualified references use it."""
    caption: str
    connections: tuple[Connection, ...] = ()
    relations: tuple[Relation, ...] = ()
    columns: tuple[Column, ...] = ()
    calculations: tuple[Calculation, ...] = ()
    groups: tuple[Group, ...] = ()
    filter_fields: tuple[str, ...] = ()
    """Fields referenced by data-source filters (often row-level security)."""
    extract: Extract | None = None
    published: PublishedRef | None = None
    line: int | None = None


@frozen
class Worksheet:
    """A worksheet and every field it references (deps, instances, shelves, tooltips, titles)."""

    name: str
    references: tuple[FieldRef, ...]
    hidden: bool = False
    line: int | None = None


@frozen
class Dashboard:
    """A dashboard: the sheets it shows and any fields it references itself."""

    name: str
    sheets: tuple[str, ...] = ()
    references: tuple[FieldRef, ...] = ()
    line: int | None = None


@frozen
class Action:
    """A filter, highlight, URL, parameter, set or navigation action."""

    name: str
    action_type: str
    references: tuple[FieldRef, ...] = ()
    line: int | None = None


@frozen
class Parameter:
    """A workbook parameter (a column of the reserved ``Parameters`` data source)."""

    name: str
    caption: str
    datatype: str = ""
    formula: str = ""
    """Calculation behind a computed parameter, if any (can reference fields)."""
    line: int | None = None


@frozen
class BlendLink:
    """A blend relationship: the linking fields of two data sources."""

    references: tuple[FieldRef, ...]


@frozen
class StoredSecret:
    """A secret stored in the file. Carries a masked form only, never the value."""

    kind: str
    """``password``, ``api-key``, ``access-token``, ``connection-string-password``, ..."""
    place: tuple[str, ...]
    """Object path of where it sits, e.g. ``("datasource:Sales", "connection:postgres")``."""
    attribute: str
    """Attribute or element holding it (``password``, ``api-key``, ``one-time-sql``)."""
    masked: str
    line: int | None = None


@frozen
class Diagnostic:
    """Something the parser could not fully read in an otherwise audited item."""

    code: str
    """Rule id it becomes (``TA902``...)."""
    message: str
    place: tuple[str, ...] = ()


@frozen
class Workbook:
    """A workbook, a data source (.tds/.tdsx) or a standalone extract, ready to audit."""

    source: str
    """Path or URL as the user gave it."""
    kind: ArtifactKind
    name: str
    version: str = ""
    """Tableau release that saved it (``2024.3``, ``10.3``, ``8.3``), empty when unknown."""
    datasources: tuple[Datasource, ...] = ()
    worksheets: tuple[Worksheet, ...] = ()
    dashboards: tuple[Dashboard, ...] = ()
    actions: tuple[Action, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    blend_links: tuple[BlendLink, ...] = ()
    shared_view_references: tuple[FieldRef, ...] = ()
    package: tuple[PackagedFile, ...] = ()
    """Members of the .twbx/.tdsx; empty for bare XML."""
    secrets: tuple[StoredSecret, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    project: str | None = None
    item_id: str | None = None
    server: ServerItem | None = None
    """How the server describes the item (permissions, views, connections); None for local files."""

    @property
    def is_packaged(self) -> bool:
        """True for .twbx/.tdsx packages."""
        return bool(self.package)

    def datasource(self, name: str) -> Datasource | None:
        """The data source with this internal name, if any."""
        return next((ds for ds in self.datasources if ds.name == name), None)


# --- Tableau Server / Cloud (issue 4) -------------------------------------------------------


class GranteeKind(str, enum.Enum):
    """Who a permission rule names."""

    USER = "user"
    GROUP = "group"


@frozen
class PermissionRule:
    """One explicit rule as the REST API returns it: a grantee and capability → Allow/Deny."""

    grantee_kind: GranteeKind
    grantee_id: str
    capabilities: tuple[tuple[str, str], ...]
    """``(capability, mode)`` pairs, mode ``Allow`` or ``Deny``; sorted by capability."""

    def mode(self, capability: str) -> str | None:
        """``Allow``/``Deny`` for a capability, None when unspecified."""
        return next((m for c, m in self.capabilities if c == capability), None)


@frozen
class ServerUser:
    """A site user. ``name`` is the sign-in name (an identity, not a data value)."""

    id: str
    name: str
    site_role: str


@frozen
class ServerGroup:
    """A group and its members' user ids. ``All Users`` is an ordinary group by name."""

    id: str
    name: str
    member_ids: frozenset[str] = frozenset()


@frozen
class ServerProject:
    """A project with its lock mode, owner, leaders and default-permission templates."""

    id: str
    name: str
    parent_id: str | None = None
    content_permissions: str = "ManagedByOwner"
    """``ManagedByOwner``, ``LockedToProject`` or ``LockedToProjectWithoutNested``."""
    owner_id: str | None = None
    rules: tuple[PermissionRule, ...] = ()
    """The project's own rules (Read, Write, ProjectLeader)."""
    default_workbook_rules: tuple[PermissionRule, ...] = ()
    default_datasource_rules: tuple[PermissionRule, ...] = ()


@frozen
class ServerView:
    """A view (sheet) of a published workbook, with its own rules when tabs are hidden."""

    id: str
    name: str
    rules: tuple[PermissionRule, ...] = ()


@frozen
class ServerConnection:
    """A connection of published content. Never carries the password."""

    id: str
    connection_type: str
    server_address: str = ""
    username: str = ""
    embed_password: bool = False
    datasource_id: str | None = None
    datasource_name: str = ""


@frozen
class SiteSnapshot:
    """Site-wide facts every item's effective permissions depend on."""

    site_id: str
    content_url: str
    guest_access_enabled: bool = False
    users: tuple[ServerUser, ...] = ()
    groups: tuple[ServerGroup, ...] = ()
    projects: tuple[ServerProject, ...] = ()

    def project(self, project_id: str | None) -> ServerProject | None:
        """The project with this id, if any."""
        return next((p for p in self.projects if p.id == project_id), None)


@frozen
class ServerItem:
    """A published workbook or data source as the server describes it."""

    kind: ArtifactKind
    id: str
    name: str
    url: str
    project_id: str | None = None
    project_name: str | None = None
    owner_id: str | None = None
    show_tabs: bool = True
    has_extract: bool = False
    updated_at: str = ""
    size: int | None = None
    rules: tuple[PermissionRule, ...] = ()
    views: tuple[ServerView, ...] = ()
    connections: tuple[ServerConnection, ...] = ()
