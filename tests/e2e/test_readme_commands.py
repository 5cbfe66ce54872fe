"""The README's curl commands run as written against a real `tracker serve` holding the example
data, started as `make run` starts it: no token configured, so the first start writes the
admin token into data/admin-token, where the README reads it. Only the port differs."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.e2e.process import ROOT, TrackerProcesses, run_tracker, tracker_env

README = ROOT / "README.md"
WRITTEN_ADDRESS = "localhost:8000"
ASSIGNMENT = re.compile(r"[A-Z_]+=(\$\([^)]*\)|\S+)")  # TOKEN=$(cat ...), not VAR=x command
# Each curl call the commands make appends its answer's status to this file, so that the
# commands run unchanged and every answer is still checked.
RECORDING_CURL = (
    "curl() { command curl --silent --show-error --output /dev/null "
    "--write-out '%{http_code}\\n' \"$@\" >> statuses; }\n"
)
SUBSCRIBED_HOST = re.compile(r'"url":\s*"https?://([^/:"]+)')


def readme_commands() -> list[str]:
    """The curl commands of the README's shell blocks (continuation lines joined), with the
    variable assignments they use, in the README's order."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    commands = []
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            if command.startswith("curl ") or ASSIGNMENT.fullmatch(command.strip()):
                commands.append(command)
    return commands


def test_the_readme_has_curl_commands_that_post_and_read() -> None:
    commands = readme_commands()
    assert any("-X POST" in command for command in commands)
    assert sum(command.startswith("curl ") for command in commands) >= 5


def test_every_curl_command_in_the_readme_answers_2xx_as_written(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    env = tracker_env(tmp_path / "data")
    imported = run_tracker("import", "--if-empty", str(EXAMPLES), env=env)
    assert imported.returncode == 0, imported.stderr
    server = trackers.serve(env)
    (tmp_path / "config").symlink_to(ROOT / "config")  # the README's relative paths
    commands = readme_commands()
    script = RECORDING_CURL + "\n".join(commands).replace(
        WRITTEN_ADDRESS, f"localhost:{server.port}"
    )
    ran = subprocess.run(
        ["bash", "-c", script],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    answers = (tmp_path / "statuses").read_text().splitlines()
    calls = [command for command in commands if command.startswith("curl ")]
    assert len(answers) == len(calls)
    unexpected = [
        f"{answer} for {call}"
        for call, answer in zip(calls, answers, strict=True)
        if answer[0] != expected_class(call)
    ]
    assert not unexpected


def expected_class(command: str) -> str:
    """'2': every command succeeds, but one subscribing a URL whose host this machine cannot
    resolve (no DNS offline), which is refused as an endpoint that cannot be checked: '4'."""
    subscribed = SUBSCRIBED_HOST.search(command)
    if subscribed and "/v1/subscriptions" in command and not resolves(subscribed[1]):
        return "4"
    return "2"


def resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True
