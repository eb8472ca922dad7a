"""Fixtures for the real-engine tests: they need `make pulumi-cli`, and fail without it."""

from __future__ import annotations

import pytest

from tests.engine.workspace import Workspace, missing_cli_message


@pytest.fixture(scope="session", autouse=True)
def pulumi_cli() -> None:
    problem = missing_cli_message()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace whose dev and prod stacks (node and bootstrap) are set up once."""
    workspace = Workspace(tmp_path_factory.mktemp("engine"))
    for project in (".", "bootstrap"):
        for stack in ("dev", "prod"):
            workspace.init_stack(stack, project)
    # The node stack reads the bootstrap's outputs through a StackReference, so the bootstrap
    # stacks are deployed; their previews are taken first, while all is still to create.
    workspace.first_previews = {("bootstrap", stack): workspace.preview(stack, "bootstrap")
                                for stack in ("dev", "prod")}
    for stack in ("dev", "prod"):
        workspace.must("up", "--yes", "--skip-preview", project="bootstrap", stack=stack)
    return workspace


@pytest.fixture
def fresh(tmp_path) -> Workspace:
    """A workspace of its own, for tests that change files."""
    return Workspace(tmp_path)
