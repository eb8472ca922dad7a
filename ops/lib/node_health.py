"""Asking a Chainlink node whether it is ready and healthy: shared by `ops health` and
`ops promote --health-url`.

The body decides, not the status code: current nodes answer 207 when a check fails (older
ones 503), and 204 from `/health` while start-up migrations run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from ops.lib.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

READY_PATH = "/readyz"
HEALTH_PATH = "/health"
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 300.0
# A node's /health is a few KiB; anything much larger is not the node.
MAX_BODY_BYTES = 1 << 20
# During its version check and migrations the node serves only /health, with 204;
# /readyz is then 404 (or 503 on older nodes).
MIGRATING = 204
STARTING = "starting/migrating"
# What a server sent is echoed at most this long, its control characters escaped.
MAX_ECHOED_CHARS = 200


def timeout_problem(seconds: float, as_given: str = "") -> str | None:
    """Why `seconds` cannot be a health-check deadline, or None (nan is never in range)."""
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        return (f"expected a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS:g}, "
                f"got {as_given or repr(seconds)}")
    return None


def timeout_argument(text: str) -> float:
    """argparse type of `--timeout` / `--health-timeout`: the rule of timeout_problem."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    problem = timeout_problem(value, repr(text))
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


class Unusable(Exception):
    """The node could not be asked, or what answered was not a node: exit 2."""


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    output: str

    @property
    def passing(self) -> bool:
        return self.status == "passing"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class Report:
    url: str
    ready_status: int
    health_status: int
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return self.ready_status == 200

    @property
    def migrating(self) -> bool:
        return self.health_status == MIGRATING

    @property
    def failing(self) -> list[Check]:
        return [check for check in self.checks if not check.passing]

    @property
    def no_checks(self) -> bool:
        """A /health listing no check at all says nothing about the node: not healthy."""
        return not self.migrating and not self.checks

    @property
    def healthy(self) -> bool:
        return not self.migrating and not self.failing and not self.no_checks

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ready and self.healthy else EXIT_FAILED

    @property
    def state(self) -> str:
        """One word for the verdict: ready, starting/migrating, unhealthy or not ready."""
        if self.migrating:
            return STARTING
        if self.failing or self.no_checks:
            return "unhealthy"
        return "ready" if self.ready else "not ready"


def echoed(text: object, limit: int = MAX_ECHOED_CHARS) -> str:
    """`text` (from a server, or a URL) fit for one line on a terminal: CR, LF, ESC and
    every other non-printable character escaped as in a Python literal, at most `limit`
    characters."""
    text = "".join(character if character.isprintable() else repr(character)[1:-1]
                   for character in str(text)[:limit + 1])
    return text if len(text) <= limit else text[:limit] + "..."


class Deadline:
    """One deadline for a whole check: connect, redirects and every read of both requests."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()


def split_url(url: str) -> urllib.parse.SplitResult:
    """The URL's parts; a malformed one is unusable (and not echoed: it may hold a password)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as error:
        raise Unusable(f"the URL is malformed ({error}); give the node's base URL such as "
                       "http://10.0.1.23:6688 or https://node.example.com") from None
    return parts


def without_credentials(url: str) -> str:
    try:
        parts = split_url(url)
    except Unusable:
        return ""
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def base_url(url: str) -> str:
    parts = split_url(url)
    if parts.username is not None or parts.password is not None:
        raise Unusable("the URL carries credentials; leave them out, /readyz and /health "
                       "need none")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unusable(f"{url!r} is not the node's base URL; give one such as "
                       "http://10.0.1.23:6688 or https://node.example.com")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"),
                                    "", ""))


def _unreachable(url: str, timeout: float, error: BaseException) -> Unusable:
    reason = getattr(error, "reason", error)
    url = echoed(url)
    host = echoed(urllib.parse.urlsplit(url).netloc)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return Unusable(f"no answer from {url} within {timeout:g} s; check that the "
                        "node is up and reachable from here, or raise --timeout")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return Unusable(f"the TLS certificate of {host} is not trusted "
                        f"({echoed(reason.verify_message)}); use the name the certificate was "
                        "issued for")
    if isinstance(reason, socket.gaierror):
        return Unusable(f"cannot resolve {host}; check the URL")
    if isinstance(reason, ConnectionRefusedError):
        return Unusable(f"{host} refused the connection; check the URL and that the node "
                        "(or its load balancer) is up")
    return Unusable(f"cannot reach {url}: {echoed(reason)}; check the URL and the network "
                    "path")


def _announced_length(response: http.client.HTTPResponse | urllib.error.HTTPError
                      ) -> int | None:
    """The Content-Length, when it is one: ASCII digits, read without int()'s digit limit
    (a 5,000-digit length is simply too large)."""
    declared = (response.headers.get("Content-Length") or "").strip().lstrip("0") or "0"
    if not re.fullmatch(r"[0-9]+", declared):
        return None
    return int(declared) if len(declared) <= 18 else 10 ** 18


def _read_body(response: http.client.HTTPResponse | urllib.error.HTTPError, url: str) -> bytes:
    declared = _announced_length(response)
    if declared is not None and declared > MAX_BODY_BYTES:
        shown = (f"a {declared:,}-byte answer" if declared < 10 ** 18
                 else "an answer of more than 10^18 bytes")
        raise Unusable(f"{echoed(url)} announced {shown}, more than the "
                       f"{MAX_BODY_BYTES:,} bytes a node's answer takes; is this the node's "
                       "base URL?")
    # One byte more than the limit, so that an answer over it is seen, not cut short.
    body = response.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Unusable(f"{echoed(url)} answered with more than {MAX_BODY_BYTES:,} bytes, more than a "
                       "node's answer takes; is this the node's base URL?")
    return body


class _Connections:
    """The sockets a request opened, so that a check past its deadline can cut them (its
    worker thread then ends instead of reading on), and no new one opens after that."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.closed = False
        self.lock = threading.Lock()

    def track(self, connection_class: type) -> Any:
        def connect(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            connection = connection_class(*args, **kwargs)
            opened = connection.connect

            def connect_and_track() -> None:
                with self.lock:
                    if self.closed:
                        raise TimeoutError("the check's deadline has passed")
                opened()
                with self.lock:
                    self.sockets.append(connection.sock)
            connection.connect = connect_and_track
            return connection
        return connect

    def cut(self) -> None:
        with self.lock:
            self.closed = True
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def opener(self) -> urllib.request.OpenerDirector:
        connections = self

        class Tracking:
            def do_open(self, http_class: Any, request: Any, **kwargs: Any) -> Any:
                return super().do_open(  # type: ignore[misc]
                    connections.track(http_class), request, **kwargs)

        return urllib.request.build_opener(
            type("Http", (Tracking, urllib.request.HTTPHandler), {}),
            type("Https", (Tracking, urllib.request.HTTPSHandler), {}))


def _fetch_now(url: str, timeout: float, budget: float, connections: _Connections) -> Answer:
    """`timeout` is the check's whole timeout (for messages), `budget` what is left of it
    (each socket operation's own bound)."""
    request = urllib.request.Request(url, headers={
        "Accept": "application/json", "User-Agent": "chainlink-node-aws-ops-health"})
    try:
        with connections.opener().open(request, timeout=budget) as response:
            return Answer(response.status, _read_body(response, url))
    except urllib.error.HTTPError as error:
        with error:
            try:
                return Answer(error.code, _read_body(error, url))
            except (OSError, http.client.HTTPException) as read_error:
                raise _unreachable(url, timeout, read_error) from None
    except (OSError, http.client.HTTPException) as error:
        raise _unreachable(url, timeout, error) from None
    except ValueError as error:  # e.g. a redirect to a Location that is not a URL
        raise Unusable(f"{echoed(url)} answered with something that is not a node's HTTP "
                       f"answer ({echoed(error)}); is this the node's base URL?") from None


def fetch(url: str, timeout: float, deadline: Deadline | None = None) -> Answer:
    """GET url, following redirects and verifying TLS; an HTTP error status is an answer
    like any other, only a failure to get one raises.

    The deadline (by default `timeout` from now) bounds the whole request: connecting,
    every redirect and every read. A socket timeout alone restarts with every byte, so a
    server trickling its headers or body would hold the check for as long as it likes.
    """
    deadline = deadline or Deadline(timeout)
    budget = deadline.remaining()
    if budget <= 0:
        raise _unreachable(url, timeout, TimeoutError())
    outcome: list[Answer | BaseException] = []
    connections = _Connections()

    def attempt() -> None:
        try:
            outcome.append(_fetch_now(url, timeout, budget, connections))
        except BaseException as error:  # handed to the caller's thread
            outcome.append(error)

    worker = threading.Thread(target=attempt, name="ops-health-fetch", daemon=True)
    worker.start()
    worker.join(budget)
    if not outcome:
        connections.cut()
        raise _unreachable(url, timeout, TimeoutError())
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def parse_checks(url: str, answer: Answer) -> tuple[Check, ...]:
    """The checks of a JSON:API /health answer: {"data": [{"attributes": {"name",
    "status", "output"}}, ...]}."""
    def not_the_node(detail: str) -> Unusable:
        return Unusable(f"{echoed(url)} answered {answer.status} but not with the node's "
                        f"JSON:API checks ({detail}); is this the node's base URL?")
    try:
        return _checks_of(json.loads(answer.body), not_the_node)
    except (UnicodeDecodeError, ValueError):  # ValueError: not JSON, or a number too long
        raise not_the_node("the body is not JSON") from None
    except RecursionError:
        raise not_the_node("the JSON is nested too deeply") from None


def _checks_of(document: Any, not_the_node: Any) -> tuple[Check, ...]:
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise not_the_node('no "data" list')
    checks = []
    for item in data:
        attributes = item.get("attributes") if isinstance(item, dict) else None
        if not (isinstance(attributes, dict) and isinstance(attributes.get("name"), str)
                and isinstance(attributes.get("status"), str)):
            raise not_the_node("a check without a name or status")
        output = attributes.get("output")
        checks.append(Check(attributes["name"], attributes["status"],
                            "" if output is None else str(output)))
    return tuple(checks)


def ask_node(url: str, timeout: float) -> Report:
    """Both requests share one deadline, `timeout` seconds from now."""
    base = base_url(url)
    deadline = Deadline(timeout)
    ready = fetch(base + READY_PATH, timeout, deadline)
    health = fetch(base + HEALTH_PATH, timeout, deadline)
    if health.status == MIGRATING:
        return Report(base, ready.status, health.status, ())
    if ready.status not in (200, 503):
        raise Unusable(f"{base + READY_PATH} answered {ready.status}, not 200 or 503; "
                       "is this the node's base URL?")
    if health.status not in (200, 207, 503):
        raise Unusable(f"{base + HEALTH_PATH} answered {health.status}, not 200, 207 or "
                       "503; is this the node's base URL?")
    return Report(base, ready.status, health.status, parse_checks(base + HEALTH_PATH, health))


def _one_line(text: str) -> str:
    return echoed(" ".join(text.split()))


def report_lines(report: Report) -> list[str]:
    ready = "yes" if report.ready else "no"
    if report.migrating:
        health = (f"{STARTING}: only {HEALTH_PATH} answers while the node checks its "
                  "version and runs database migrations")
    elif report.failing:
        health = f"{len(report.failing)} of {len(report.checks)} checks failing"
    elif report.no_checks:
        health = "not healthy: no checks were reported"
    else:
        health = f"all {len(report.checks)} checks passing"
    lines = [f"node:    {echoed(report.url)}",
             f"ready:   {ready} ({READY_PATH} answered {report.ready_status})",
             f"health:  {health} ({HEALTH_PATH} answered {report.health_status})"]
    if report.checks:
        ordered = sorted(report.checks, key=lambda check: (check.passing, check.name))
        rows = [(echoed(check.status), echoed(check.name), _one_line(check.output))
                for check in ordered]
        width = max(len("CHECK"), *(len(name) for _, name, _ in rows))
        lines += ["", f"{'STATUS':8} {'CHECK':{width}} OUTPUT"]
        lines += [f"{status:8} {name:{width}} {output}".rstrip()
                  for status, name, output in rows]
    return lines


def report_document(report: Report) -> dict[str, Any]:
    return {"url": report.url, "state": report.state, "ready": report.ready,
            "migrating": report.migrating,
            "healthy": report.healthy, "checks": [asdict(check) for check in report.checks],
            "failing": [check.name for check in report.failing],
            "exitCode": report.exit_code}


def check_node(url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, *, as_json: bool = False,
               out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Ask the node at `url`, print the verdict, return the exit code (0, 1 or 2)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        report = ask_node(url, timeout)
    except Unusable as problem:
        print(f"error: {problem}", file=err)
        if as_json:
            print(json.dumps({"url": without_credentials(url), "error": str(problem),
                              "exitCode": EXIT_BAD_INPUT}), file=out)
        return EXIT_BAD_INPUT
    if as_json:
        print(json.dumps(report_document(report), indent=2), file=out)
    else:
        print("\n".join(report_lines(report)), file=out)
    return report.exit_code
