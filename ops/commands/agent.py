"""`python -m ops agent render|watch|watchdog`: the node-host agent, run from here.

The agent itself lives with the host it runs on (components/host/chainlink_agent.py);
this command only puts it on the `ops` command line, with the same arguments.
"""

from __future__ import annotations

import argparse

from components.host import chainlink_agent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "agent", help="the node-host agent (render, watchdog, watch)",
        description=chainlink_agent.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    chainlink_agent.add_arguments(parser)
    parser.set_defaults(func=chainlink_agent.run)
