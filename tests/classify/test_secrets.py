"""Secret scanner: attribute-aware and text scans, with planted secrets that must never leak."""

from __future__ import annotations

import time

import pytest

from tableau_audit.classify.secrets import SecretMatch, mask_secret, scan_attribute, scan_text

# Planted secrets, assembled at run time so that the repository holds no token-shaped literal.
PASSWORD = "Pl4nted-" + "Passw0rd!"
MAPBOX = "pk." + "eyJ1IjoicGxhbnRlZCIsImEiOiJjazEyMzQ1Njc4OTAifQ" + "." + "Zm9vYmFyYmF6cXV4cXV1eA"
AWS = "AKIA" + "PLANTEDKEY123456"
GITHUB = "ghp_" + "Pl4ntedT0kenAbCdEfGhIjKlMnOpQrStUvWx"
JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiJwbGFudGVkIn0" + "." + "c2lnbmF0dXJlLXBsYW50ZWQ"
GOOGLE = "AIza" + "SyPlanted0123456789abcdefghijklmnop"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEplantedKEYbody\n-----END RSA PRIVATE KEY-----"


def assert_hidden(secret: str, matches: tuple[SecretMatch, ...]) -> None:
    """Neither the secret nor any 4-character piece of it appears in what the scanner returns."""
    rendered = repr(matches)
    assert secret not in rendered
    pieces = {secret[i : i + 4] for i in range(len(secret) - 3)}
    for match in matches:
        assert not {p for p in pieces if p in match.masked}, match.masked


@pytest.mark.parametrize(
    ("attribute", "value", "secret", "kinds"),
    [
        ("password", PASSWORD, PASSWORD, ("password",)),
        ("PASSWORD", PASSWORD, PASSWORD, ("password",)),
        ("api-key", MAPBOX, MAPBOX, ("api-key",)),
        (
            "url-format",
            f"https://api.mapbox.com/styles/v1/u/s/tiles/{{z}}/{{x}}/{{y}}?access_token={MAPBOX}",
            MAPBOX,
            ("access-token",),
        ),
        (
            "full-url",
            f"https://maps.example.com/tiles?key={GOOGLE}&style=dark",
            GOOGLE,
            ("api-key",),
        ),
        (
            "odbc-connect-string-extras",
            f"Encrypt=yes;PWD={{{PASSWORD}}};UID=svc",
            PASSWORD,
            ("connection-string-password",),
        ),
        (
            "jdbcurl",
            f"jdbc:postgresql://svc:{PASSWORD}@db.internal:5432/sales",
            PASSWORD,
            ("connection-string-password",),
        ),
        (
            "jdbcproperties",
            f"user=svc\npassword={PASSWORD}\nssl=true",
            PASSWORD,
            ("connection-string-password",),
        ),
        (
            "one-time-sql",
            f"ALTER USER report WITH PASSWORD '{PASSWORD}';",
            PASSWORD,
            ("sql-credential",),
        ),
        (
            "query-band-spec",
            f"ProxyUser=svc;Password={PASSWORD};",
            PASSWORD,
            ("sql-credential",),
        ),
        ("username", AWS, AWS, ("aws-access-key",)),
        ("caption", f"token {GITHUB}", GITHUB, ("github-token",)),
        ("server", f"https://api.example.com/?jwt={JWT}", JWT, ("jwt",)),
        ("server", f"https://api.example.com/?sig={PASSWORD}", PASSWORD, ("client-secret",)),
    ],
)
def test_attribute_secrets(attribute: str, value: str, secret: str, kinds: tuple[str, ...]) -> None:
    matches = scan_attribute(attribute, value)
    assert tuple(m.kind for m in matches) == kinds
    assert_hidden(secret, matches)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("password", ""),
        ("password", "   "),
        ("api-key", ""),
        ("username", "svc_reporting"),
        ("server", "db.internal.example.com"),
        ("odbc-connect-string-extras", "Encrypt=yes;TrustServerCertificate=no"),
        ("odbc-connect-string-extras", "PWD=${DB_PASSWORD};UID=svc"),
        ("jdbcproperties", "password=?\nuser=svc"),
        ("one-time-sql", "SET NOCOUNT ON"),
        ("url-format", "https://tiles.example.com/{z}/{x}/{y}.png?style=light"),
        ("query-band-spec", "ProxyUser=<user>;Password=<password>;"),
    ],
)
def test_attributes_without_secrets(attribute: str, value: str) -> None:
    assert scan_attribute(attribute, value) == ()


@pytest.mark.parametrize(
    ("text", "secret", "kinds"),
    [
        (f"CREATE USER etl IDENTIFIED BY '{PASSWORD}'", PASSWORD, ("sql-credential",)),
        ("ALTER USER scott IDENTIFIED BY tig3rPlanted", "tig3rPlanted", ("sql-credential",)),
        (
            f"SELECT * FROM OPENROWSET('SQLNCLI', 'Server=x;UID=sa;PWD={PASSWORD};', 'select 1')",
            PASSWORD,
            ("sql-credential",),
        ),
        (f'IF [Password] = "{PASSWORD}" THEN 1 END', PASSWORD, ("sql-credential",)),
        (f"-- key {AWS}\nSELECT 1", AWS, ("aws-access-key",)),
        (f"SELECT '{JWT}' AS t", JWT, ("jwt",)),
        (f"SELECT '{PEM}'", PEM, ("private-key",)),
        (f"SELECT 'https://svc:{PASSWORD}@api.example.com/x'", PASSWORD, ("url-password",)),
    ],
)
def test_text_secrets(text: str, secret: str, kinds: tuple[str, ...]) -> None:
    matches = scan_text(text)
    assert tuple(m.kind for m in matches) == kinds
    assert_hidden(secret, matches)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SELECT * FROM users WHERE password = hash_col AND key=5",
        "SELECT CASE WHEN result = 'pass' THEN 1 END, x = 'y' FROM t",
        "SELECT password, token FROM accounts",
        "WHERE pwd = ?",
        "[Sales] * 1.1 // api key rotation is tracked elsewhere",
    ],
)
def test_text_without_secrets(text: str) -> None:
    assert scan_text(text) == ()


@pytest.mark.parametrize(
    "hostile",
    [
        "a." * 100_000,
        "eyJ-" * 50_000,
        "eyJa." * 40_000,
        "xoxb-" * 40_000,
        "a://b:" * 30_000,
        "-----BEGIN PRIVATE KEY-----" * 5_000,
        "password='x1' " * 10_000,
    ],
)
def test_hostile_text_takes_linear_time(hostile: str) -> None:
    started = time.perf_counter()
    scan_text(hostile)
    scan_attribute("url-format", hostile + "?a=b")
    scan_attribute("jdbcurl", hostile)
    # Quadratic scanning of 200 kB takes minutes; linear takes well under a second.
    assert time.perf_counter() - started < 5.0


def test_several_secrets_in_text_order() -> None:
    text = f"password='{PASSWORD}' -- {AWS} -- {GITHUB}"
    matches = scan_text(text)
    assert tuple(m.kind for m in matches) == ("sql-credential", "aws-access-key", "github-token")
    for secret in (PASSWORD, AWS, GITHUB):
        assert_hidden(secret, matches)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", ""),
        ("hunter2", "***(7 chars)"),
        (MAPBOX, f"pk.***({len(MAPBOX)} chars)"),
        (AWS, "AKI***(20 chars)"),
        (GITHUB, "ghp***(40 chars)"),
        (JWT, f"eyJ***({len(JWT)} chars)"),
        # Starts like a token but is not one: a password reveals nothing.
        ("ghost-rider-2024", "***(16 chars)"),
        ("pk.secret", "***(9 chars)"),
    ],
)
def test_mask_secret(value: str, masked: str) -> None:
    assert mask_secret(value) == masked


def test_secret_match_is_frozen_and_keyword_only() -> None:
    match = SecretMatch(kind="password", masked="***(3 chars)")
    with pytest.raises(AttributeError):
        match.kind = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SecretMatch("password", "***")  # type: ignore[call-arg]


def test_conninfo_literal_in_initial_sql_is_a_credential() -> None:
    secret = "Hr-Reader-2024!"
    sql = f"SELECT dblink_connect('hr', 'host=db.example.org user=hr_reader password={secret}');"
    matches = scan_attribute("one-time-sql", sql)
    assert [m.kind for m in matches] == ["sql-credential"]
    assert secret not in repr(matches)


def test_literal_with_a_single_setting_is_not_a_connection_string() -> None:
    assert scan_text("SELECT * FROM users WHERE note = 'ask the admin for the password=abc'") == ()


def _gate_texts() -> list[str]:
    """Texts that exercise every keyword gate, in ASCII case variants and with the four
    letters ``re.IGNORECASE`` equates with ASCII ones (U+0130, U+0131, U+017F, U+212A)."""
    import random

    words = [
        "password", "passwd", "pwd", "pass", "api_key", "apikey", "access_token", "auth_token",
        "client_secret", "secret_key", "private_key", "access_key", "token", "secret", "sas",
        "sig", "signature", "key", "identified by",
    ]  # fmt: skip
    lookalikes = {"s": "\u017f", "k": "\u212a", "i": "\u0131", "I": "\u0130"}
    variants = []
    for word in words:
        variants += [word, word.upper(), word.title()]
        variants += [
            word.replace(ascii_letter, other) for ascii_letter, other in lookalikes.items()
        ]
        variants.append(word.upper().replace("I", "\u0130"))
    templates = [
        "{k}={v}", "Server=db;{k}={v};Port=1", "SET x = 'host=db {k}={v}'", "{k} = '{v}'",
        "CREATE USER u {k} {v}", "ALTER LOGIN u WITH {k} '{v}'", "https://u:{v}@host/p?{k}={v}",
        "a&{k}={v}&b=2",
    ]  # fmt: skip
    tokens = [
        "ghp_" + "a1B2" * 9, "AKIA" + "ABCDEFGHIJKLMNOP", "xoxb-1234567890-abc",
        "AIza" + "x" * 35, "pk.eyJ1IjoiYSJ9.abcdef", "eyJhbGciOi.eyJzdWIiOi.sig_nature",
    ]  # fmt: skip
    rng = random.Random(20261126)
    texts = [t.format(k=k, v="Hunter2x") for t in templates for k in variants]
    texts += [f"{rng.choice(texts)} {rng.choice(tokens)}" for _ in range(300)]
    return texts


def test_keyword_and_marker_gates_never_hide_a_match(monkeypatch: pytest.MonkeyPatch) -> None:
    from tableau_audit.classify import secrets

    texts = _gate_texts()
    attributes = ("one-time-sql", "initial-sql", "odbc-connect-string-extras", "dbname")
    gated = [(scan_text(t), [scan_attribute(a, t) for a in attributes]) for t in texts]
    # Every gate open: each pattern then runs on every text.
    monkeypatch.setattr(secrets, "_has_word", lambda folded, words: True)
    monkeypatch.setattr(secrets, "_fold", lambda text: "identified " + text.lower())
    monkeypatch.setattr(secrets, "_SHAPE_MARKERS", dict.fromkeys(secrets._SHAPE_MARKERS, ("",)))
    ungated = [(scan_text(t), [scan_attribute(a, t) for a in attributes]) for t in texts]
    assert gated == ungated
    # Not vacuous: most texts hold a secret, including the look-alike spellings.
    found = sum(1 for text_hits, _ in gated if text_hits)
    assert found > len(texts) // 2
    assert any(hits for t, (hits, _) in zip(texts, gated, strict=True) if "\u017f" in t)
