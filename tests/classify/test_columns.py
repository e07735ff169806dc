"""classify_column: verdicts, signals, thresholds and allow-lists."""

from __future__ import annotations

import pytest

from tableau_audit.classify.columns import classify_column
from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import CLASSIFIER_VERSION, ColumnClassification, PiiType, Tier
from tests.fresh_python import run_python


def column(
    name: str,
    *,
    remote_name: str = "",
    caption: str = "",
    datatype: str = "string",
    datasource: str = "HR Extract",
    values: list[str] | None = None,
    policy: Policy | None = None,
) -> ColumnClassification | None:
    return classify_column(
        datasource_caption=datasource,
        name=name,
        remote_name=remote_name,
        caption=caption or name,
        datatype=datatype,
        values=values,
        policy=policy or Policy(),
    )


def test_name_only_verdict_with_signals() -> None:
    found = column("Employee SSN", remote_name="emp_ssn")
    assert found == ColumnClassification(
        pii_type=PiiType.SSN,
        tier=Tier.HIGH,
        confidence=0.95,
        name_only=True,
        signals={
            "name": {
                "matched_on": "remote_name",
                "tokens": ("employee", "ssn"),
                "matched": ("ssn",),
                "rule": "ssn",
                "score": 0.95,
            }
        },
        classifier_version=CLASSIFIER_VERSION,
    )


def test_nothing_to_report_is_none() -> None:
    assert column("Sales", datatype="real") is None
    assert column("email_verified", datatype="integer") is None  # contradicted, below threshold


def test_threshold_comes_from_the_policy() -> None:
    lenient = Policy(min_confidence=0.25)
    found = column("email_verified", datatype="integer", policy=lenient)
    assert found is not None
    assert found.confidence == 0.3
    assert found.signals["name"] == {
        "matched_on": "name",
        "tokens": ("email", "verified"),
        "matched": ("email",),
        "rule": "emails?",
        "score": 0.3,
        "contradicted": True,
        "reasons": ("'verified' after the match", "numeric datatype"),
    }
    strict = Policy(min_confidence=0.9)
    assert column("Latitude", datatype="real", policy=strict) is None
    assert column("Latitude", datatype="real") is not None


def test_datasource_caption_is_context_for_a_bare_name() -> None:
    found = column("Name", datasource="Employees")
    assert found is not None
    assert found.pii_type is PiiType.PERSON_NAME
    assert column("Name", datasource="Products") is None


@pytest.mark.parametrize(
    ("policy", "datasource", "name"),
    [
        (Policy(allow_datasources=("Sample - *",)), "Sample - Superstore", "Customer Name"),
        (Policy(allow_datasources=("sample - *",)), "Sample - Superstore", "Customer Name"),
        (Policy(allow_columns=("Customer Name",)), "Orders", "Customer Name"),
        (Policy(allow_columns=("orders.customer*",)), "Orders", "Customer Name"),
        (Policy(allow_columns=("*_hash",)), "Users", "password_hash"),
    ],
)
def test_allow_lists(policy: Policy, datasource: str, name: str) -> None:
    assert column(name, datasource=datasource) is not None
    assert column(name, datasource=datasource, policy=policy) is None


def test_allow_list_does_not_reach_other_columns() -> None:
    policy = Policy(allow_columns=("Orders.Customer Name",), allow_datasources=("Sample*",))
    assert column("Customer Name", datasource="Returns", policy=policy) is not None
    assert column("Customer Email", datasource="Orders", policy=policy) is not None


def test_tier_override_reaches_the_verdict() -> None:
    policy = Policy(tier_overrides={PiiType.POSTAL_CODE: Tier.MODERATE})
    found = column("Postal Code", policy=policy)
    assert found is not None
    assert found.tier is Tier.MODERATE


def test_values_never_reach_the_verdict() -> None:
    canary = "canary-078-05-1120-zq"
    found = column("ssn", values=[canary, canary])
    assert found is not None
    assert found.name_only  # value evidence is issue 3; a sample does not change that yet
    assert canary not in repr(found)
    assert found.exemplars == ()


def test_prepare_loads_phone_metadata_only_when_values_are_judged() -> None:
    # A fresh interpreter: other tests have long since imported phonenumbers in this one.
    script = (
        "import sys\n"
        "from tableau_audit.classify.columns import prepare\n"
        "prepare(values=False)\n"
        "assert 'phonenumbers' not in sys.modules\n"
        "from tableau_audit.classify import names\n"
        "assert names._rules_by_first_token.cache_info().currsize == 1\n"
        "prepare(values=True)\n"
        "assert 'phonenumbers' in sys.modules\n"
    )
    done = run_python(script, check=False)
    assert done.returncode == 0, done.stderr
