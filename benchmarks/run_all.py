"""The speed goals of issue 15, measured side by side in one run on this machine.

    venv/bin/python benchmarks/run_all.py [--only ratio,suite,cold] [--runs N] [--pip]

- ratio: `ops preview --stack prod` against `benchmarks/bare_mock_run.py`, a bare SDK mock
  run registering the same resources through the provider SDK's classes (goal <= 1.3x), and
  against the same run with plain CustomResources (for comparison), alternated N times;
- suite: `make test` (goal < 90 s), with its test count;
- cold: `make preview STACK=dev` in a fresh copy of the project with no venv/ and empty
  installer caches, so every package is downloaded (goal < 45 s); `--pip` also times the
  pip fallback (INSTALLER=pip) for comparison.

Wall time is what the goals are about; CPU seconds (user+sys of the whole process tree)
are printed too, since a machine shared with other work stretches wall time but not CPU.
Not a test: exit 1 when a goal is missed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GOALS = {"ratio": 1.3, "suite": 90.0, "cold": 45.0}


@dataclass
class Timing:
    wall: float
    cpu: float
    output: str


def timed(command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None,
          allowed: tuple[int, ...] = (0,)) -> Timing:
    """Wall and CPU seconds of one command and its children; exits on a failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in allowed:
        sys.exit(f"{' '.join(command)} exited {result.returncode}:\n"
                 f"{(result.stdout + result.stderr)[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu, result.stdout + result.stderr)


def verdict(name: str, value: float) -> str:
    return "met" if value <= GOALS[name] else "MISSED"


def median(timings: list[Timing], attribute: str) -> float:
    return statistics.median(getattr(timing, attribute) for timing in timings)


def ratio(runs: int) -> bool:
    """The goal is against a run through the SDK's classes (what any program using these
    types pays); the plain-CustomResource floor is printed beside it for comparison."""
    with tempfile.TemporaryDirectory() as scratch:
        plan = Path(scratch) / "prod.json"
        # Exit 1 is a mandatory policy violation: the run itself completed.
        preview_command = [PYTHON, "-m", "ops", "preview", "--stack", "prod"]
        timed([*preview_command, "--json", str(plan)], allowed=(0, 1))
        bare_command = [PYTHON, str(ROOT / "benchmarks" / "bare_mock_run.py"), str(plan)]
        floors = {"bare mock run, SDK classes": bare_command,
                  "bare mock run, plain CustomResources": [*bare_command, "--untyped"]}
        preview: list[Timing] = []
        bare: dict[str, list[Timing]] = {name: [] for name in floors}
        for _ in range(runs):  # alternated, so all see the same machine
            preview.append(timed(preview_command, allowed=(0, 1)))
            for name, command in floors.items():
                bare[name].append(timed(command))
    print(f"ops preview --stack prod: median {median(preview, 'wall'):.2f} s wall, "
          f"{median(preview, 'cpu'):.2f} s CPU over {runs} runs")
    ratios = {}
    for name, timings in bare.items():
        ratios[name] = median(preview, "wall") / median(timings, "wall")
        print(f"{name}: median {median(timings, 'wall'):.2f} s wall, "
              f"{median(timings, 'cpu'):.2f} s CPU; preview is {ratios[name]:.2f}x wall, "
              f"{median(preview, 'cpu') / median(timings, 'cpu'):.2f}x CPU")
    goal = ratios["bare mock run, SDK classes"]
    print(f"ratio against the SDK-class run: {goal:.2f}x (goal <= {GOALS['ratio']}x): "
          f"{verdict('ratio', goal)}")
    return goal <= GOALS["ratio"]


def suite() -> bool:
    timing = timed(["make", "test"])
    counts = re.findall(r"(\d+ passed[^\n]*) in ", timing.output)
    print(f"make test: {timing.wall:.1f} s wall, {timing.cpu:.1f} s CPU, "
          f"{counts[-1] if counts else 'no summary line'} (goal < {GOALS['suite']:.0f} s): "
          f"{verdict('suite', timing.wall)}")
    return timing.wall <= GOALS["suite"]


def project_copy(destination: Path) -> None:
    """The files git tracks, as a fresh clone would have them (no venv/, no caches)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def cold(installer: str) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        project.mkdir()
        project_copy(project)
        env = {**os.environ, "UV_CACHE_DIR": str(Path(scratch) / "uv-cache"),
               "PIP_NO_CACHE_DIR": "1"}
        timing = timed(["make", "preview", "STACK=dev", f"INSTALLER={installer}"],
                       cwd=project, env=env)
    print(f"cold make preview STACK=dev ({installer}, empty caches): {timing.wall:.1f} s wall, "
          f"{timing.cpu:.1f} s CPU (goal < {GOALS['cold']:.0f} s): {verdict('cold', timing.wall)}")
    return timing.wall <= GOALS["cold"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="ratio,suite,cold",
                        help="comma-separated subset of ratio,suite,cold")
    parser.add_argument("--runs", type=int, default=5, help="alternated runs for the ratio")
    parser.add_argument("--pip", action="store_true", help="also time a cold pip install")
    args = parser.parse_args()
    chosen = args.only.split(",")
    unknown = set(chosen) - set(GOALS)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}: "
                     f"choose from {', '.join(GOALS)}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    met = []
    if "ratio" in chosen:
        met.append(ratio(args.runs))
    if "suite" in chosen:
        met.append(suite())
    if "cold" in chosen:
        met.append(cold("uv"))
        if args.pip:
            cold("pip")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
