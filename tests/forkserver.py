"""`python -m ops` for tests, forked from a process that has already imported the SDKs.

A fresh `python -m ops preview` spends most of its seconds importing pulumi, pulumi_aws and
boto3; the tests start dozens. This server imports those third-party packages once (never
the project's own code, so a test's edited copy of the project is what runs), then forks a
child per request that behaves as `python -m ops ARGS` would: its own working directory,
environment, argv and sys.path[0], stdout and stderr on real files, stdin from /dev/null,
the exit code of SystemExit (1 with a traceback for an uncaught exception), a timeout.

Run by tests/conftest.py as `python tests/forkserver.py PROJECT_ROOT [--light]`; one JSON
request per line on stdin, one JSON answer per line on stdout. `--light` imports only what
the commands that need no SDK use (a few MB, not the SDKs' 350), for those commands.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import re
import runpy
import signal
import sys
import threading
import traceback
from pathlib import Path

# Variables that shape the interpreter itself at start-up: a request with any of them
# different from the server's must run in a real new interpreter instead.
STARTUP_VARIABLES = re.compile(r"^(PYTHON\w*|LC_\w+|LANG|LANGUAGE)$")
SDK_REFERENCE = re.compile(r"\baws\.([a-z0-9_]+)\.\w")


def startup_environment(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if STARTUP_VARIABLES.match(name)}


# What the light commands (promote, health, prometheus-config, prepare-stack) import
# besides the project's own code: a fresh interpreter spent ~0.2 s of CPU on these.
LIGHT_PRELOAD = ("argparse", "ast", "dataclasses", "datetime", "difflib", "email.parser",
                 "hashlib", "http.client", "inspect", "ipaddress", "random", "shlex",
                 "subprocess", "tempfile", "urllib.request", "ruamel.yaml")


def preload_light() -> None:
    for module in LIGHT_PRELOAD:
        importlib.import_module(module)


def preload(project_root: Path) -> None:
    """Import the SDKs and libraries the commands use, and the pulumi_aws modules the
    project's components name."""
    for module in ("pulumi", "pulumi.runtime.mocks", "pulumi.runtime.stack", "pulumi_policy",
                   "google.protobuf.json_format", "boto3", "botocore.session",
                   "botocore.config", "ruamel.yaml", "tomlkit", "pulumi_random", "re2"):
        importlib.import_module(module)
    # The policy pack's secret scan: detect-secrets brings in requests, and finds its
    # plugins by walking its package (cached for the process): 0.1 s a preview or audit.
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    get_mapping_from_secret_type_to_class()
    import pulumi_aws

    sources = [project_root / "__main__.py", *project_root.glob("components/**/*.py")]
    names = {name for path in sources for name in SDK_REFERENCE.findall(path.read_text())}
    for name in sorted(names):
        module = getattr(pulumi_aws, name, None)
        getattr(module, "__all__", None)  # pulumi_aws loads a module on first attribute use


def run_child(request: dict) -> None:
    """In the forked child: become `python -m ops ARGS` and exit with its code."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.close(stdin)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin
    sys.stdout = sys.__stdout__
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = ["-m", *request["args"]]
    sys.path[0] = request["cwd"]
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(request["timeout"])
    code: int = 0
    try:
        runpy.run_module("ops", run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught one
        traceback.print_exc()
        code = 1
    threading._shutdown()  # join non-daemon threads, as interpreter exit does
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code & 0xFF)


def serve(project_root: Path, light: bool) -> None:
    if light:
        preload_light()
    else:
        preload(project_root)
    # What the server imported lives in every child until it exits: frozen, the children's
    # collector passes never walk it (nor touch its pages, which stay shared).
    gc.collect()
    gc.freeze()
    answers = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the channel
    print(json.dumps({"ready": True}), file=answers, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_child(request)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), file=answers,
              flush=True)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), light=sys.argv[2:] == ["--light"])
