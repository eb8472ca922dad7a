"""python -m ops <command> ...: the command line around `pulumi up`."""

from __future__ import annotations

import argparse
import sys

from ops.commands import (agent, audit, health, prepare_stack, preview, prometheus, promote,
                          verify_backups)
from ops.lib.errors import EXIT_BAD_INPUT, OpsError

COMMANDS = (preview, audit, promote, health, prometheus, verify_backups, prepare_stack, agent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _never_fail_on_encoding() -> None:
    """With PYTHONIOENCODING=ascii (or a C locale) a character the stream cannot carry is
    replaced, not raised: a report must never end in a UnicodeEncodeError traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    _never_fail_on_encoding()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except OpsError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (`| head`) went away; that is not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
