"""Offline policy evaluation (placeholder until the rules land: evaluates nothing)."""

import json
from pathlib import Path


def load_policy_config(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def evaluate(resources: list[dict], config: dict) -> list[dict]:
    return []
