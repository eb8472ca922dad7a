"""The tiers as a package (pyproject.toml) and the example project that reuses one."""

from __future__ import annotations

import ipaddress
import re
import runpy
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from ops.lib.offline import run_under_mocks, unwrap_secrets
from ops.lib.stackfile import PROJECT_ROOT
from tests.conftest import inputs_of

EXAMPLE = PROJECT_ROOT / "examples" / "network-only"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built offline from a copy of the sources (no build/ left in the tree)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", source)
    shutil.copytree(PROJECT_ROOT / "components", source / "components",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(out), str(source)],
                   check=True, capture_output=True)
    [built] = out.glob("*.whl")
    return built


def test_wheel_holds_every_tier_and_every_host_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {path.relative_to(PROJECT_ROOT).as_posix()
                for path in (PROJECT_ROOT / "components").rglob("*")
                if path.is_file() and "__pycache__" not in path.parts}
    assert {"components/host/bootstrap.sh", "components/host/chainlink-node.service"} <= expected
    assert expected <= names
    packaged = {name.split("/")[0] for name in names if not name.endswith(".dist-info/")
                and ".dist-info/" not in name}
    assert packaged == {"components"}


def test_every_tier_imports_from_the_wheel_alone(wheel, tmp_path):
    """No tier reaches into stack_config, ops or the repository's files."""
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    modules = sorted(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
                     for path in (PROJECT_ROOT / "components").rglob("*.py"))
    script = ("import importlib, sys\n"
              f"for name in {modules!r}: importlib.import_module(name)\n"
              "import components\n"
              "print(components.__file__)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('stack_config', 'ops', 'policies', 'tests')))\n")
    # -I: no cwd or PYTHONPATH on sys.path; the venv's site-packages plus the wheel only.
    result = subprocess.run([sys.executable, "-I", "-c",
                             f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r})\n"
                             + script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    where, strays = result.stdout.splitlines()
    assert Path(where).is_relative_to(tmp_path / "site")
    assert strays == "[]"


def test_package_pins_are_the_projects_pins():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    pins = dict(re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^]]*\])?==(\S+)", line).groups()
                for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    pins = {name.lower(): version for name, version in pins.items()}
    dependencies = pyproject["project"]["dependencies"]
    assert dependencies
    for requirement in dependencies:
        name, version = requirement.split("==")
        assert pins[name.lower()] == version, requirement
    [backend] = pyproject["build-system"]["requires"]
    assert backend == f"setuptools=={pins['setuptools']}"


def test_example_project_builds_just_the_network_tier():
    run = run_under_mocks(lambda: runpy.run_path(str(EXAMPLE / "__main__.py"),
                                                 run_name="__main__"),
                          project="network-only", stack="dev")
    [vpc] = run.of_type("aws:ec2/vpc:Vpc")
    assert inputs_of(vpc)["cidrBlock"] == "10.40.0.0/16"
    subnets = [inputs_of(subnet) for subnet in run.of_type("aws:ec2/subnet:Subnet")]
    assert len(subnets) == 4
    assert sorted(subnet["tags"]["chainlink:tier"] for subnet in subnets) == [
        "private", "private", "public", "public"]
    assert all(ipaddress.IPv4Network(subnet["cidrBlock"]).subnet_of(
        ipaddress.IPv4Network("10.40.0.0/16")) for subnet in subnets)
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 1
    # Only the two tiers it asked for: nothing of the node stack comes along.
    components = {resource.type for resource in run.resources
                  if resource.type.startswith("chainlink:")}
    assert components == {"chainlink:index:Network", "chainlink:index:Encryption"}
    assert len(unwrap_secrets(run.outputs["private_subnet_ids"])) == 2
