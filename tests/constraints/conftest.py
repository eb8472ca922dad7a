"""Fixtures of the constraint layer: the planned resources, computed once per process."""

from __future__ import annotations

import pytest

from tests.constraints.planned import Plan, plan


@pytest.fixture(scope="session")
def planned():
    """planned("prod") -> the Plan; cached per process, so xdist workers never share one."""
    def get(label: str) -> Plan:
        return plan(label)
    return get


def pytest_collection_modifyitems(config, items):
    """Run this layer last. It keeps every plan and cfn-lint's schemas in memory, and a
    child the process forks later starts with that resident set as its peak (Linux
    ru_maxrss survives exec), which the bounded-child tests would misread as theirs."""
    mine = [item for item in items if "tests/constraints/" in item.nodeid]
    others = [item for item in items if "tests/constraints/" not in item.nodeid]
    items[:] = others + mine
