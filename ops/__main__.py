"""python -m ops <command> ...: the command line around `pulumi up`."""

from __future__ import annotations

import argparse
import difflib
import importlib
import gc
import sys
from typing import NoReturn, Sequence

from ops.lib import collector
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
# Importing the SDKs and running the program build hundreds of thousands of objects: for
# the preview the collector runs less often (ops/lib/collector.py). The other commands,
# `agent` a long-lived daemon on the host, keep Python's default.
FEWER_COLLECTOR_PASSES = frozenset({"preview"})


class OneLineParser(argparse.ArgumentParser):
    """argparse, with an argument error as one line that names the flag and the fix and
    says where --help is (not the usage block), exit 2. Sub-command parsers inherit it."""

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None):
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        parser = self._command_parser() or self
        message = parser._unknown_option() or message.removeprefix("argument ")
        sys.stderr.write(f"error: {message}; see {parser.prog} --help\n")
        sys.exit(EXIT_BAD_INPUT)

    def _command_parser(self) -> "OneLineParser | None":
        """The chosen command's parser: argparse reports a command's leftover arguments
        from the top-level parser, but the flags and the help are the command's."""
        commands = next((action.choices for action in self._actions
                         if isinstance(action, argparse._SubParsersAction)), {})
        chosen = next((arg for arg in getattr(self, "_given", []) if not arg.startswith("-")), None)
        return commands.get(chosen)

    def _unknown_option(self) -> str | None:
        """A misspelt long option, named with the closest one this command has: argparse
        would report the missing required option it hides instead."""
        known = [flag for action in self._actions for flag in action.option_strings
                 if flag.startswith("--")]
        has_commands = self._command_parser() is not None
        for given in getattr(self, "_given", []):
            flag = given.split("=", 1)[0]
            if given == "--" or (has_commands and not given.startswith("-")):
                return None  # what follows belongs to the command (or is not an option)
            if flag.startswith("--") and not any(option.startswith(flag) for option in known):
                close = difflib.get_close_matches(flag, known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                return f"unknown option {flag}{hint}"
        return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: every command for help or an unknown one, else just the one."""
    parser = OneLineParser(prog="python -m ops", description=__doc__)
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
    if argv and argv[0] in FEWER_COLLECTOR_PASSES:
        with collector.fewer_passes():
            return _run(argv)
    return _run(argv)


def _run(argv: list[str]) -> int:
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


def _skip_the_final_collection() -> None:
    """At exit the interpreter's last garbage collections walk every object still alive:
    after a preview that is pulumi_aws's thousands of classes, about 0.4 s of nothing.
    No code of ours relies on a finaliser of cyclic garbage (files are closed by `with`,
    reports fsynced and renamed), so everything alive is frozen out of those passes."""
    gc.freeze()


if __name__ == "__main__":
    exit_code = main()
    _skip_the_final_collection()
    sys.exit(exit_code)
