"""`python -m ops prometheus-config --stack STACK [--output FILE] [--bearer-token-file PATH]`

Prints (or writes) a prometheus.yml for an operator's own Prometheus: EC2 service
discovery of the stack's node hosts by tag, `/metrics` on port 6688. The same document
is the stack output `prometheusScrapeConfig`. Read offline from the stack file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.prometheus import operator_scrape_config
from ops.lib.errors import EXIT_OK
from ops.lib.report import write_text_atomically
from ops.lib.stackfile import read_stack_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prometheus-config", help="print a Prometheus scrape config for the stack's nodes",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<STACK>.yaml")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="write the config to FILE instead of printing it")
    parser.add_argument("--bearer-token-file", metavar="PATH",
                        help="file on the Prometheus server holding the node's "
                             "[Prometheus] AuthToken, when the node has one")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack_file = read_stack_file(args.stack)
    document = operator_scrape_config(stack_file.stack, stack_file.region,
                                      args.bearer_token_file)
    if args.output is None:
        sys.stdout.write(document)
    else:
        write_text_atomically(args.output, document)
    return EXIT_OK
