"""The README's architecture picture is drawn from the program's own resources."""

from __future__ import annotations

import importlib.util
import json

from ops.commands.preview import resources_document
from ops.lib.paths import PROJECT_ROOT

_SPEC = importlib.util.spec_from_file_location(
    "architecture_diagram", PROJECT_ROOT / "tools" / "architecture_diagram.py")
architecture_diagram = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(architecture_diagram)


def test_the_checked_in_model_is_what_the_program_registers(stack_run):
    model = architecture_diagram.build_model("prod", resources_document(stack_run("prod")))
    checked_in = architecture_diagram.MODEL_PATH.read_text(encoding="utf-8")
    assert architecture_diagram.model_text(model) == checked_in, \
        "docs/architecture.json is out of date: run make diagram"


def test_the_model_shows_every_zone_and_the_high_availability_pieces():
    model = json.loads(architecture_diagram.MODEL_PATH.read_text(encoding="utf-8"))
    assert [zone["zone"] for zone in model["zones"]] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert all(zone["natGateway"] for zone in model["zones"])  # prod: one NAT per zone
    assert model["nodeHosts"][0]["hosts"] == 2 and model["database"]["instances"] == 2
    assert sum(zone["databaseInstance"] for zone in model["zones"]) == 2  # two zones
    assert "secretsmanager" in model["interfaceEndpoints"]


def test_the_picture_is_a_png_the_readme_shows():
    assert architecture_diagram.PICTURE_PATH.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "(docs/architecture.png)" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
