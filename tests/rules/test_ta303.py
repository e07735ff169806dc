"""TA303 stored-secret: a Mapbox token is found, reported masked, never in clear."""

from __future__ import annotations

from tests.rules.conftest import findings_of, fixture, run

TOKEN_BODY = "eyJ1IjoiY2FuYXJ5LXVzZXIiLCJhIjoiY2FuYXJ5dG9rZW4xMjM0NTY3ODkwIn0"


def test_ta303_fail_flags_api_key_and_url_token() -> None:
    result = run(fixture("TA303_fail_mapbox_key.twb"))
    attributes = {f.location.object_path[-1] for f in findings_of(result, "TA303")}
    assert attributes == {"attribute:api-key", "attribute:url-format"}
    assert TOKEN_BODY not in repr(result)


def test_ta303_pass_no_secret() -> None:
    assert findings_of(run(fixture("TA303_pass_no_secret.twb")), "TA303") == []
