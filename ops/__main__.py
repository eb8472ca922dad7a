"""`python -m ops <command>`; minimal entry point (the full CLI lives on the main branch)."""

import argparse
import sys

from . import audit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops")
    subparsers = parser.add_subparsers(dest="command", required=True)
    audit.register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
