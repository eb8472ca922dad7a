"""`ops promote` under races, signals and odd files (issue 17, items 1, 4 and 5).

Every test runs real `python -m ops` child processes: two promotions at once, a real
SIGTERM/SIGINT while the temporary file exists, links and FIFOs where files are expected.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ops.lib.stackfile import PROJECT_ROOT

KEY = "chainlink-node-aws:chainlinkVersion"
CHECKED_IN = "2.29.0"
DOWNGRADE_LINE = ("error: {key}: refusing to downgrade Pulumi.prod.yaml from {old} to {new}; "
                  "nothing promoted")


def version_line(version: str) -> str:
    return f"  {KEY}: {version}\n"


def with_version(text: str, version: str) -> str:
    assert text.count(version_line(CHECKED_IN)) == 1
    return text.replace(version_line(CHECKED_IN), version_line(version))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Pulumi.yaml, dev (2.30.0), staging (2.31.0) and prod (2.29.0, as checked in)."""
    shutil.copy2(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy2(PROJECT_ROOT / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml")
    dev = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.dev.yaml").write_text(with_version(dev, "2.30.0"))
    (tmp_path / "Pulumi.staging.yaml").write_text(with_version(dev, "2.31.0"))
    return tmp_path


def leftovers(directory: Path) -> list[str]:
    """Temporary files a write left behind (the lock file is meant to stay)."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def ops(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ops", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


# --- item 1: two promotions at once never land the lower version ---

# Imports everything first, then waits for the parent's go: both promotions start their
# work at the same moment instead of one interpreter start-up apart.
_RACER = """
import sys
import ops.commands.promote
from ops.__main__ import main
sys.stdin.readline()
sys.exit(main(sys.argv[1:]))
"""

ROUNDS = 20


def _race_once(project: Path) -> list[tuple[str, int, str, str]]:
    racers = []
    for source in ("staging", "dev"):
        racers.append((source, subprocess.Popen(
            [sys.executable, "-c", _RACER, "promote", "--from", source, "--to", "prod",
             "--project-dir", str(project)],
            cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)))
    for _, process in racers:
        process.stdin.write("go\n")
    for _, process in racers:
        process.stdin.flush()
    results = []
    for source, process in racers:
        out, err = process.communicate(timeout=120)
        results.append((source, process.returncode, out, err))
    return results


def test_concurrent_promotions_never_downgrade(project):
    prod = project / "Pulumi.prod.yaml"
    checked_in = prod.read_bytes()
    downgraded, problems = 0, []
    for round_number in range(ROUNDS):
        prod.write_bytes(checked_in)
        results = _race_once(project)
        final = prod.read_text()
        if version_line("2.31.0") not in final:
            downgraded += 1
        for source, code, out, err in results:
            if source == "staging":
                # 2.31.0 is above whatever prod holds at any moment: always promoted.
                ok = code == 0 and "updated Pulumi.prod.yaml" in out and err == ""
            else:
                # dev's 2.30.0 either lands first (then staging raises it) or is refused.
                refused = DOWNGRADE_LINE.format(key=KEY, old="2.31.0", new="2.30.0")
                ok = ((code == 0 and "updated Pulumi.prod.yaml" in out and err == "")
                      or (code == 1 and err.splitlines() == [refused]
                          and "updated" not in out))
            if not ok:
                problems.append((round_number, source, code, err.strip()))
        assert leftovers(project) == []
    assert (downgraded, problems) == (0, []), (
        f"{downgraded} of {ROUNDS} rounds ended on 2.30.0; {problems[:4]}")
