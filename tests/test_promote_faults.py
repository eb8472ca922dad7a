"""`ops promote` under races, signals and odd files (issue 17, items 1, 4 and 5).

Every test runs real `python -m ops` child processes: two promotions at once, a real
SIGTERM/SIGINT while the temporary file exists, links and FIFOs where files are expected.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ops.lib.stackfile import PROJECT_ROOT
from tests.conftest import run_ops

KEY = "chainlink-node-aws:chainlinkVersion"
CHECKED_IN = "2.29.0"
DOWNGRADE_LINE = ("error: {key}: refusing to downgrade Pulumi.prod.yaml from {old} to {new}; "
                  "nothing promoted")


def version_line(version: str) -> str:
    return f"  {KEY}: {version}\n"


def with_version(text: str, version: str) -> str:
    assert text.count(version_line(CHECKED_IN)) == 1
    return text.replace(version_line(CHECKED_IN), version_line(version))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Pulumi.yaml, dev (2.30.0), staging (2.31.0) and prod (2.29.0, as checked in)."""
    shutil.copy2(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy2(PROJECT_ROOT / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml")
    dev = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.dev.yaml").write_text(with_version(dev, "2.30.0"))
    (tmp_path / "Pulumi.staging.yaml").write_text(with_version(dev, "2.31.0"))
    return tmp_path


def leftovers(directory: Path) -> list[str]:
    """Temporary files a write left behind (the lock file is meant to stay)."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


ops = run_ops  # a real `python -m ops` child (tests/conftest.py)


# --- item 1: two promotions at once never land the lower version ---

# One process imports the command once, then per round forks both promotions, each a real
# process of its own that waits at a shared gate: the parent opens it once both exist, so
# they start their work at the same moment (not one interpreter start-up apart), and a
# round costs two forks instead of two interpreters importing ruamel.yaml and the project.
_RACERS = """
import json, os, signal, sys, traceback
import ops.commands.promote
from ops.__main__ import main

def promotion(gate, argv, output):
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(f"{output}.{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.read(gate, 1)  # b"" once the parent closes the gate's other end
    signal.alarm(120)  # a hung promotion dies of SIGALRM, and the round fails
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)

answers = sys.stdout
for line in sys.stdin:
    request = json.loads(line)
    gate, opener = os.pipe()
    children = []
    for source, output in request["racers"]:
        argv = ["promote", "--from", source, "--to", "prod", "--project-dir", request["project"]]
        pid = os.fork()
        if pid == 0:
            os.close(opener)
            promotion(gate, argv, output)
        children.append(pid)
    os.close(gate)
    os.close(opener)  # the gate opens: both promotions start
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    print(json.dumps(codes), file=answers, flush=True)
"""

ROUNDS = 20


class _Racers:
    """The racing process of _RACERS, for one test: race_once() runs one round."""

    def __init__(self, project: Path, output: Path) -> None:
        self.project, self.output = project, output
        self.process = subprocess.Popen([sys.executable, "-c", _RACERS], cwd=PROJECT_ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)

    def race_once(self) -> list[tuple[str, int, str, str]]:
        racers = [(source, str(self.output / source)) for source in ("staging", "dev")]
        self.process.stdin.write(json.dumps({"project": str(self.project),
                                             "racers": racers}) + "\n")
        self.process.stdin.flush()
        codes = json.loads(self.process.stdout.readline())
        return [(source, code, Path(f"{output}.stdout").read_text(),
                 Path(f"{output}.stderr").read_text())
                for (source, output), code in zip(racers, codes)]

    def close(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0
        self.process.stdout.close()


def test_concurrent_promotions_never_downgrade(project, tmp_path_factory):
    prod = project / "Pulumi.prod.yaml"
    checked_in = prod.read_bytes()
    downgraded, problems = 0, []
    racers = _Racers(project, tmp_path_factory.mktemp("racers"))
    for round_number in range(ROUNDS):
        prod.write_bytes(checked_in)
        results = racers.race_once()
        final = prod.read_text()
        if version_line("2.31.0") not in final:
            downgraded += 1
        for source, code, out, err in results:
            if source == "staging":
                # 2.31.0 is above whatever prod holds at any moment: always promoted.
                ok = code == 0 and "updated Pulumi.prod.yaml" in out and err == ""
            else:
                # dev's 2.30.0 either lands first (then staging raises it) or is refused.
                refused = DOWNGRADE_LINE.format(key=KEY, old="2.31.0", new="2.30.0")
                ok = ((code == 0 and "updated Pulumi.prod.yaml" in out and err == "")
                      or (code == 1 and err.splitlines() == [refused]
                          and "updated" not in out))
            if not ok:
                problems.append((round_number, source, code, err.strip()))
        assert leftovers(project) == []
    racers.close()
    assert (downgraded, problems) == (0, []), (
        f"{downgraded} of {ROUNDS} rounds ended on 2.30.0; {problems[:4]}")


def test_a_writer_that_ignores_the_lock_is_caught_before_the_rename(project, capsys,
                                                                    monkeypatch):
    """Someone raises prod to 2.31.0 (by hand, no lock) after the promotion of dev's
    2.30.0 was judged: re-read and judged again right before the rename, it is refused."""
    import tempfile

    from ops.__main__ import main

    prod = project / "Pulumi.prod.yaml"
    raised = with_version(prod.read_text(), "2.31.0")
    real_mkstemp = tempfile.mkstemp

    def writer_gets_in_first(*args, **kwargs):
        if version_line("2.31.0") not in prod.read_text():
            prod.write_text(raised)
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", writer_gets_in_first)
    code = main(["promote", "--from", "dev", "--to", "prod", "--project-dir", str(project)])
    out, err = capsys.readouterr()

    assert code == 1
    assert err.splitlines() == [DOWNGRADE_LINE.format(key=KEY, old="2.31.0", new="2.30.0")]
    assert "updated" not in out
    assert prod.read_text() == raised
    assert leftovers(project) == []


# --- item 4 (issue item 5): interrupted promotions leave no temporary file ---

# Runs the promotion, but the rename of the finished temporary file waits (printing
# "paused" once the temporary file exists) until the parent signals: SIGINT with the
# default handler an interactive shell gives, SIGTERM with the default action.
_PAUSED_AT_RENAME = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
real_replace = os.replace
def paused_replace(source, destination):
    print("paused", flush=True)
    time.sleep(120)
    real_replace(source, destination)
os.replace = paused_replace
from ops.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def _paused_promotion(project: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_AT_RENAME, "promote", "--from", "dev", "--to", "prod",
         "--project-dir", str(project)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "paused\n", process.communicate(timeout=60)
    return process


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_the_temporary_file_exists_removes_it(project, signum, exit_code):
    prod = project / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    process = _paused_promotion(project)
    (temporary,) = leftovers(project)
    assert temporary.startswith(".Pulumi.prod.yaml.")

    process.send_signal(signum)
    out, err = process.communicate(timeout=60)

    assert process.returncode == exit_code, err
    assert "Traceback" not in err and "updated" not in out
    assert leftovers(project) == []
    assert prod.read_bytes() == original


def test_a_temporary_file_left_by_kill_9_is_removed_by_the_next_promotion(project):
    prod = project / "Pulumi.prod.yaml"
    process = _paused_promotion(project)
    (temporary,) = leftovers(project)
    process.kill()
    process.communicate(timeout=60)
    assert leftovers(project) == [temporary]  # nothing can clean up after SIGKILL
    other = project / ".Pulumi.prod.yaml.x.yaml.abcd1234.tmp"  # of a stack "prod.yaml.x"
    other.write_text("someone else's")

    result = ops("promote", "--from", "dev", "--to", "prod", "--project-dir", str(project))

    assert result.returncode == 0, result.stderr
    assert f"removed {temporary}, left by an interrupted promotion" in result.stdout
    assert leftovers(project) == [other.name] and other.read_text() == "someone else's"
    assert version_line("2.30.0") in prod.read_text()


def test_gitignore_covers_the_temporary_and_lock_files(project):
    (project / ".Pulumi.prod.yaml.abcd_123.tmp").write_text("")
    assert ops("promote", "--from", "dev", "--to", "prod",
               "--project-dir", str(project)).returncode == 0
    result = subprocess.run(["git", "check-ignore", "--no-index", "-v",
                             ".Pulumi.prod.yaml.abcd_123.tmp", ".Pulumi.prod.yaml.lock"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 2, result


# --- item 5 (issue item 5): the file's bytes are kept except the promoted value ---

def _promote_in_process(project: Path, capsys) -> tuple[int, str, str]:
    from ops.__main__ import main

    code = main(["promote", "--from", "dev", "--to", "prod", "--project-dir", str(project)])
    out, err = capsys.readouterr()
    return code, out, err


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _no_final_newline(text: str) -> str:
    return text.removesuffix("\r\n") if text.endswith("\r\n") else text.removesuffix("\n")


def _bom(text: str) -> str:
    return "\ufeff" + text


@pytest.mark.parametrize("layouts", [
    (_crlf,), (_no_final_newline,), (_bom,), (_crlf, _no_final_newline, _bom)],
    ids=["crlf", "no-final-newline", "bom", "all-three"])
def test_line_endings_final_newline_and_bom_are_kept(project, capsys, layouts):
    prod = project / "Pulumi.prod.yaml"
    before, after = prod.read_text(), with_version(prod.read_text(), "2.30.0")
    for layout in layouts:
        before, after = layout(before), layout(after)
    prod.write_bytes(before.encode())

    code, out, err = _promote_in_process(project, capsys)

    assert (code, err) == (0, "")
    assert prod.read_bytes() == after.encode()


@pytest.mark.parametrize("layout", [_crlf, _no_final_newline], ids=["crlf", "no-final-newline"])
def test_a_key_added_at_the_end_keeps_the_layout(project, capsys, layout):
    prod = project / "Pulumi.prod.yaml"
    without = prod.read_text().replace(version_line(CHECKED_IN), "")  # added as the last line
    prod.write_bytes(layout(without).encode())

    code, _, err = _promote_in_process(project, capsys)

    assert (code, err) == (0, "")
    assert prod.read_bytes() == layout(without + version_line("2.30.0")).encode()


def test_mixed_line_endings_are_refused_not_normalised(project, capsys):
    prod = project / "Pulumi.prod.yaml"
    lines = prod.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace("\n", "\r\n")  # one CR LF line in an LF file
    prod.write_text("".join(lines))
    original = prod.read_bytes()

    code, out, err = _promote_in_process(project, capsys)

    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("error: Pulumi.prod.yaml would be reformatted beyond the promoted "
                           "lines")
    assert prod.read_bytes() == original


# --- issue item 4: a write keeps the path what it is ---

def test_a_symlinked_stack_file_stays_a_link_and_its_target_is_promoted(project):
    shared = project / "shared"
    shared.mkdir()
    prod = project / "Pulumi.prod.yaml"
    prod.rename(shared / "Pulumi.prod.yaml")
    prod.symlink_to(Path("shared") / "Pulumi.prod.yaml")

    result = ops("promote", "--from", "dev", "--to", "prod", "--project-dir", str(project))

    assert result.returncode == 0, result.stderr
    assert prod.is_symlink() and os.readlink(prod) == str(Path("shared") / "Pulumi.prod.yaml")
    assert version_line("2.30.0") in (shared / "Pulumi.prod.yaml").read_text()
    assert leftovers(project) == leftovers(shared) == []


def test_a_stack_file_that_is_a_fifo_is_refused(project):
    prod = project / "Pulumi.prod.yaml"
    prod.unlink()
    os.mkfifo(prod)

    result = ops("promote", "--from", "dev", "--to", "prod", "--project-dir", str(project))

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: Pulumi.prod.yaml is not a regular file; promote edits a stack file in place: "
        "replace it with the stack file (a link to one is fine)"]
    assert stat_is_fifo(prod)


def stat_is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(os.lstat(path).st_mode)


def _run_reading(fifo: Path, *args: str) -> tuple[subprocess.CompletedProcess, bytes]:
    """Run `python -m ops ARGS` while this process reads `fifo`; returns what came through."""
    import select

    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    received = bytearray()
    try:
        process = subprocess.Popen([sys.executable, "-m", "ops", *args], cwd=PROJECT_ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while True:
            ready, _, _ = select.select([reader], [], [], 0.1)
            chunk = os.read(reader, 65536) if ready else b""
            received += chunk
            if not chunk and process.poll() is not None:
                break
        out, err = process.communicate(timeout=120)
    finally:
        os.close(reader)
    return subprocess.CompletedProcess(args, process.returncode, out, err), bytes(received)


def test_an_output_fifo_is_streamed_to_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "prometheus.yml"
    os.mkfifo(fifo)
    expected = ops("prometheus-config", "--stack", "dev").stdout.encode()

    result, received = _run_reading(fifo, "prometheus-config", "--stack", "dev",
                                    "--output", str(fifo))

    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert received == expected and b"scrape_configs" in received
    assert stat_is_fifo(fifo) and os.listdir(tmp_path) == ["prometheus.yml"]


def test_a_json_report_into_a_link_to_a_fifo_streams_and_keeps_both(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "report.json"
    link.symlink_to(fifo)
    export = PROJECT_ROOT / "tests" / "fixtures" / "stack-export-clean.json"

    result, received = _run_reading(fifo, "audit", str(export), "--json", str(link))

    assert result.returncode == 0, result.stderr
    assert b'"violations": []' in received
    assert link.is_symlink() and stat_is_fifo(fifo)
    assert sorted(os.listdir(tmp_path)) == ["pipe", "report.json"]


def test_an_output_fifo_nobody_reads_is_refused_with_one_line(tmp_path):
    fifo = tmp_path / "prometheus.yml"
    os.mkfifo(fifo)

    result = ops("prometheus-config", "--stack", "dev", "--output", str(fifo))

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: cannot write {fifo}: it is a FIFO that no process reads; start the reader "
        "first or give a regular file"]
    assert stat_is_fifo(fifo) and os.listdir(tmp_path) == ["prometheus.yml"]


def test_an_output_symlink_stays_a_link_and_its_target_is_written(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "prometheus.yml"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "prometheus.yml"
    link.symlink_to(target)

    result = ops("prometheus-config", "--stack", "dev", "--output", str(link))

    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "scrape_configs" in target.read_text()
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(os.listdir(tmp_path / "real")) == ["prometheus.yml"]


def test_an_output_that_is_a_socket_is_refused(tmp_path):
    import socket

    path = tmp_path / "prometheus.yml"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        result = ops("prometheus-config", "--stack", "dev", "--output", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: cannot write {path}: it is a socket; give a regular file"]


# --- issue item 5: --health-timeout must be a number of seconds ---

@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e400", "ten"])
def test_a_health_timeout_that_is_not_a_duration_is_an_argument_error(project, value):
    from tests.node_server import recorded_node

    prod = project / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    with recorded_node() as node_url:
        result = ops("promote", "--from", "dev", "--to", "prod", "--project-dir", str(project),
                     "--health-url", node_url("passing"), f"--health-timeout={value}")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    # The last line is the error (another branch makes argparse's usage lines go away).
    last = result.stderr.splitlines()[-1]
    assert "--health-timeout" in last
    assert f"expected a number of seconds above 0 and at most 300, got {value!r}" in last
    assert prod.read_bytes() == original


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0, 0.0, 300.5])
def test_promote_called_as_a_function_holds_the_same_timeout_rule(project, seconds):
    """A caller of promote() that bypasses the command line gets the rule `--health-timeout`
    has (above 0, at most 300), not a looser one of its own."""
    from ops.commands.promote import promote
    from ops.lib.errors import OpsError

    prod = project / "Pulumi.prod.yaml"
    original = prod.read_bytes()
    with pytest.raises(OpsError, match=r"^--health-timeout: expected a number of seconds "
                                       r"above 0 and at most 300, got "):
        promote("dev", "prod", project, health_url="http://127.0.0.1:9", health_timeout=seconds)
    assert prod.read_bytes() == original


def test_two_projects_linking_one_stack_file_share_its_lock(project, tmp_path_factory):
    """Project A's promotion holds the shared file's temporary file (paused at the
    rename); project B's promotion into the same file waits for it instead of removing
    that temporary file as stale and racing it."""
    shared = tmp_path_factory.mktemp("shared")
    prod = project / "Pulumi.prod.yaml"
    prod.rename(shared / "Pulumi.prod.yaml")
    prod.symlink_to(shared / "Pulumi.prod.yaml")
    other = tmp_path_factory.mktemp("other")
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml"):
        shutil.copy2(project / name, other / name)
    (other / "Pulumi.prod.yaml").symlink_to(shared / "Pulumi.prod.yaml")

    first = _paused_promotion(project)
    (temporary,) = leftovers(shared)
    second = subprocess.Popen(
        [sys.executable, "-m", "ops", "promote", "--from", "staging", "--to", "prod",
         "--project-dir", str(other)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_line = second.stdout.readline()
        assert leftovers(shared) == [temporary]
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    out, err = second.communicate(timeout=120)

    assert first_line == ("waiting for another promotion into this stack to finish "
                          "(.Pulumi.prod.yaml.lock)\n"), first_line + out
    assert first.returncode == 143
    assert (second.returncode, err) == (0, ""), err
    assert "removed" not in out and "updated Pulumi.prod.yaml" in out
    assert leftovers(shared) == leftovers(project) == leftovers(other) == []
    assert version_line("2.31.0") in (shared / "Pulumi.prod.yaml").read_text()
    assert prod.is_symlink() and (other / "Pulumi.prod.yaml").is_symlink()
