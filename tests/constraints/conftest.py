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
