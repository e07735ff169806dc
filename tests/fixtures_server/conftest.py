"""Fixtures for the simulator tests (real TSC 0.42 over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.tableau_server import SimSite, SimulatedServer, site_from_dict
from tests.fixtures_server.sites import site_spec


@pytest.fixture
def sim_site() -> SimSite:
    """The site of :func:`site_spec`."""
    return site_from_dict(site_spec())


@pytest.fixture
def srv(sim_site: SimSite) -> Iterator[SimulatedServer]:
    """A running simulator (one per test, so faults never leak between tests)."""
    with SimulatedServer(sim_site) as server:
        yield server
