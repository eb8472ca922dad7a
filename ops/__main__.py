"""python -m ops <command> ...: the command line around `pulumi up`."""

from __future__ import annotations

import argparse
import importlib
import sys

from ops.lib.errors import EXIT_BAD_INPUT, OpsError

# Command name -> the module that registers and runs it. Only the chosen command's module
# is imported: `ops agent` on a host or `ops health` must not pay for pulumi, boto3 and
# the policy pack (seconds on a small machine).
COMMANDS = {
    "preview": "ops.commands.preview",
    "audit": "ops.commands.audit",
    "promote": "ops.commands.promote",
    "health": "ops.commands.health",
    "prometheus-config": "ops.commands.prometheus",
    "verify-backups": "ops.commands.verify_backups",
    "prepare-stack": "ops.commands.prepare_stack",
    "agent": "ops.commands.agent",
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: every command for help or an unknown one, else just the one."""
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    for name, module in COMMANDS.items():
        if chosen in (None, name):
            importlib.import_module(module).register(subparsers)
    return parser


def _never_fail_on_encoding() -> None:
    """With PYTHONIOENCODING=ascii (or a C locale) a character the stream cannot carry is
    replaced, not raised: a report must never end in a UnicodeEncodeError traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    _never_fail_on_encoding()
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
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
