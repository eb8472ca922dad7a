"""`python -m ops`: every command is reachable, and each imports only what it needs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ops.__main__ import COMMANDS, build_parser
from ops.lib.stackfile import PROJECT_ROOT
from tests.conftest import run_ops

HEAVY = ("pulumi", "pulumi_aws", "policies", "boto3")


def command_names(parser) -> set[str]:
    (subparsers,) = [action for action in parser._actions if action.dest == "command"]
    return set(subparsers.choices)


def test_help_and_unknown_commands_see_every_command():
    assert command_names(build_parser([])) == set(COMMANDS)
    assert command_names(build_parser(["--help"])) == set(COMMANDS)
    assert command_names(build_parser(["no-such-command"])) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_registers_under_its_own_name(name):
    assert command_names(build_parser([name, "--help"])) == {name}


def heavy_modules_loaded_for(name: str) -> list[str]:
    code = ("import json, sys; from ops.__main__ import build_parser; "
            f"build_parser([{name!r}]); "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", ["agent", "health", "promote", "prometheus-config"])
def test_light_commands_load_neither_pulumi_nor_boto3_nor_the_policy_pack(name):
    assert heavy_modules_loaded_for(name) == []


def test_an_unknown_command_exits_2_listing_the_known_ones():
    result = run_ops("no-such-command")
    assert result.returncode == 2
    assert "invalid choice: 'no-such-command'" in result.stderr
    assert all(name in result.stderr for name in COMMANDS)


@pytest.mark.parametrize("args, line", [
    (["preview", "--stak", "dev"],
     "error: unknown option --stak (did you mean --stack?); see python -m ops preview --help"),
    (["preview"],
     "error: the following arguments are required: --stack; see python -m ops preview --help"),
    (["preview", "--stack", "dev", "--bogus"],
     "error: unknown option --bogus; see python -m ops preview --help"),
    (["promote", "--form", "dev", "--to", "prod"],
     "error: unknown option --form (did you mean --from?); see python -m ops promote --help"),
    (["health", "http://127.0.0.1:9/", "--timeout", "nan"],
     "error: --timeout: expected a number of seconds above 0 and at most 300, got 'nan'; "
     "see python -m ops health --help"),
    (["preview", "--stack", "dev", "--json"],
     "error: --json: expected one argument; see python -m ops preview --help"),
])
def test_an_argument_error_is_one_line_naming_the_flag_and_the_help(args, line):
    result = run_ops(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [line]


def test_help_still_prints_the_usage():
    result = run_ops("preview", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m ops preview")


def test_no_command_imports_another_command():
    """What two commands share lives in ops/lib/ (README, Layout)."""
    import ast

    commands = PROJECT_ROOT / "ops" / "commands"
    imports = {}
    for module in sorted(commands.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found = [name for name in names if name.startswith("ops.commands")]
            if found:
                imports[module.name] = found
    assert imports == {}


def test_the_collector_runs_less_often_only_inside_and_is_restored_after_an_error():
    import gc

    from ops.lib import collector

    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with collector.fewer_passes():
            assert gc.get_threshold() == (collector.ALLOCATIONS_PER_PASS, *before[1:])
            raise RuntimeError("a program that fails")
    assert gc.get_threshold() == before


def test_a_program_run_leaves_the_collector_as_it_found_it():
    import gc

    import pulumi

    from tests.conftest import run_under_mocks

    suite_setting = gc.get_threshold()  # tests/conftest.py's
    gc.set_threshold(700, 10, 10)
    try:
        run_under_mocks(lambda: pulumi.export("x", 1))
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*suite_setting)
