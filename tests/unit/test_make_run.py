"""`make run` in a terminal: it serves on HOST and PORT and says so, and Ctrl-C stops the
server and the worker cleanly (its trap used to signal itself again and again until the shell
crashed: "make: *** [Makefile:38: run] Segmentation fault").

The recipe runs for real, in a terminal of its own; only the Python it starts is a stand-in
(`make run PY=...`) that records its arguments and, for the server and the worker, runs until
it is signalled, so the test takes seconds and needs no database.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings

FAKE_PYTHON = """#!/bin/bash
echo "$*" >> {calls}
case "$2" in
  worker) trap 'echo "worker stopped"; exit 0' INT TERM; echo "Starting worker" ;;
  runserver) trap 'echo "server stopped"; exit 0' INT TERM
    echo "Quit the server with CONTROL-C." ;;
  *) exit 0 ;;
esac
while :; do sleep 0.1; done
"""


def _read(fd: int, output: bytearray, *, until: bytes = b"", seconds: float) -> None:
    """Read the terminal into `output` for `seconds`, or until `until` shows."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until in output):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            output.extend(data)


# The forked child only calls exec at once, so no lock held by another thread can block it.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_make_run_serves_on_its_port_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    python = tmp_path / "python"
    python.write_text(FAKE_PYTHON.format(calls=calls))
    python.chmod(0o755)
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".installed").touch()  # newer than pyproject.toml: `install` has nothing to do
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["make", "run", f"PY={python}", f"VENV={venv}", f"PORT={port}", "HOST=0.0.0.0"]

    pid, fd = pty.fork()
    if pid == 0:  # the child: make in a terminal of its own, as a developer runs it
        os.chdir(settings.BASE_DIR)
        os.execvp("make", command)  # noqa: S606 - the test's own command line
    output = bytearray()
    try:
        _read(fd, output, until=b"Quit the server with CONTROL-C.", seconds=30)
        _read(fd, output, until=b"Starting worker", seconds=10)
        os.write(fd, b"\x03")  # Ctrl-C
        deadline = time.monotonic() + 20
        while not (ended := os.waitpid(pid, os.WNOHANG))[0]:
            assert time.monotonic() < deadline, f"still running:\n{output.decode()}"
            _read(fd, output, seconds=0.2)
        _read(fd, output, seconds=0.5)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    text = output.decode(errors="replace")
    status = ended[1]

    assert f"Serving on http://0.0.0.0:{port} with the background worker" in text
    assert "Segmentation fault" not in text
    assert "server stopped" in text and "worker stopped" in text
    # Ended by the Ctrl-C itself (make dies of the SIGINT it got), or cleanly.
    assert os.waitstatus_to_exitcode(status) in (0, -signal.SIGINT), text
    ran = calls.read_text().splitlines()
    assert f"manage.py load_demo_data --site-url http://0.0.0.0:{port}" in ran
    assert "manage.py worker --no-reload --queue-name default" in ran
    assert f"manage.py runserver 0.0.0.0:{port}" in ran
