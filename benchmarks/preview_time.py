"""Wall time of `python -m ops preview --stack STACK`, whole process, several runs.

Not a test: run it with `venv/bin/python benchmarks/preview_time.py [STACK] [RUNS]`.
The goal (issue 2) is well under 3 s for prod on a 2-core machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 3.0


def time_preview(stack: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "ops", "preview", "--stack", stack],
                            cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"preview of {stack} exited {result.returncode}: {result.stderr.strip()}")
    return elapsed


def main() -> int:
    stack = sys.argv[1] if len(sys.argv) > 1 else "prod"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times = [time_preview(stack) for _ in range(runs)]
    print(f"ops preview --stack {stack}: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {runs} runs (goal < {GOAL_SECONDS:.0f} s)")
    return 0 if max(times) < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
