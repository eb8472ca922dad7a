"""`python -m ops health URL [--json] [--timeout SECONDS]`: is the node ready and healthy?

URL is the node's base address (`http://10.0.1.23:6688` on the host network, or the load
balancer's `https://...`). Asks `/readyz` and `/health` and prints a table of the
node's checks. The body decides, not the status code: current nodes answer 207 when a
check fails (older ones 503), and 204 from `/health` while start-up migrations run.

Exit 0: ready and every check passing. 1: not ready, starting/migrating (/health 204,
whatever /readyz answers), a check failing, or no check reported at all. 2: unreachable,
timed out (the timeout is one deadline for the whole check: both requests, every redirect
and every read), a bad URL, or an answer that is not the node's (including one larger
than 1 MiB). What the server sent is echoed on one line, control characters escaped.

`--json` prints one object instead of the table:
  {"url", "state", "ready", "migrating", "healthy", "checks": [{"name", "status", "output"}],
   "failing": [names], "exitCode"}
or, with exit code 2, {"url", "error", "exitCode"}.
"""

from __future__ import annotations

import argparse

from ops.lib.node_health import DEFAULT_TIMEOUT_SECONDS, check_node, timeout_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "health", help="ask a node's /readyz and /health and judge the answer",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", metavar="URL", help="the node's base URL")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=timeout_argument, default=DEFAULT_TIMEOUT_SECONDS,
                        metavar="SECONDS",
                        help="one deadline for the whole check "
                             f"(default {DEFAULT_TIMEOUT_SECONDS:g})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return check_node(args.url, args.timeout, as_json=args.json)
