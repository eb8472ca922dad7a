"""The stand-in AWS provider's data: ops/offline.py's OfflineMocks, served over stdin/stdout.

The Go plugin `pulumi-resource-aws` (cmd/pulumi-resource-aws) speaks gRPC to the real
Pulumi engine and asks this process, one JSON line per question, for what AWS would
answer: invoke results and the ids and computed attributes of created resources. Both
`ops preview` and the real engine therefore get their AWS answers from one place.

Questions:  {"op": "configure", "account": "...", "region": "..."}
            {"op": "invoke", "token": "...", "args": {...}}
            {"op": "create", "type": "...", "name": "...", "inputs": {...}}
Answers:    {"result": ...} or {"error": "one line"}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs  # noqa: E402

from ops.lib.offline import OfflineMocks  # noqa: E402


def answer(mocks: OfflineMocks, question: dict[str, Any]) -> tuple[OfflineMocks, Any]:
    op = question["op"]
    if op == "configure":
        return OfflineMocks(question["account"], question["region"]), None
    if op == "invoke":
        return mocks, mocks.call(MockCallArgs(question["token"], question["args"], ""))
    if op == "create":
        resource_id, state = mocks.new_resource(MockResourceArgs(
            question["type"], question["name"], question["inputs"], custom=True))
        return mocks, {"id": resource_id, "state": state}
    raise ValueError(f"unknown question {op!r}")


def main() -> None:
    mocks = OfflineMocks("123456789012", "us-east-1")
    for line in sys.stdin:
        try:
            mocks, result = answer(mocks, json.loads(line))
            reply = {"result": result}
        except Exception as error:  # noqa: BLE001 - every failure goes back as one line
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
