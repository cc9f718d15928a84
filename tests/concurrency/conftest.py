from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Its checks say what differed, as the test modules' own asserts do.
pytest.register_assert_rewrite("tests.concurrency.worker_processes")

from tests.concurrency.worker_processes import Worker  # noqa: E402


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    """The worker processes a test starts (append them); stopped at the end, their output
    printed (pytest shows it when the test failed)."""
    started: list[Worker] = []
    yield started
    for number, worker in enumerate(started, start=1):
        worker.stop()
        print(f"--- worker {number} (exit {worker.process.returncode}) ---\n{worker.output()}")
