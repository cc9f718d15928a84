"""`make test` finds a Chromium for the browser tests, or installs one in the ways that work,
or says in one line what to install. The script runs in a subprocess with a PATH of fakes
(`id`, `apt-get`, `playwright`) that record what they were asked and install nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

# The fakes' own tools, by full path: the PATH the script sees holds only the fakes.
MKDIR, CHMOD = shutil.which("mkdir"), shutil.which("chmod")
SCRIPT = Path(settings.BASE_DIR) / "tests" / "browser" / "find_chromium.sh"
NOTHING_WORKS = (
    "make test: no Chromium for the browser tests, and none could be installed here: install "
    "Debian's (as root: apt-get install chromium), or run .venv/bin/playwright install "
    "chromium where downloads work, or set CHROMIUM_PATH to a Chromium binary."
)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]


class Machine:
    """A PATH with no browser on it, and fakes for the commands the script may call."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.calls = root / "calls.log"
        self.calls.touch()
        self.playwright_home = root / "ms-playwright"
        self.user_id = 1000
        self.has_apt = False
        self.apt_works = False
        self.download_works = False

    def _fake(self, name: str, body: str) -> Path:
        path = self.bin / name
        path.write_text(f'#!/bin/bash\necho "{name} $*" >> {self.calls}\n{body}\n')
        path.chmod(0o755)
        return path

    def browser_on_path(self, name: str = "chromium") -> Path:
        return self._fake(name, "exit 0")

    def run(self, **env: str) -> Run:
        self._fake("id", f"echo {self.user_id}")
        if self.has_apt:
            installs = f"echo '#!/bin/bash' > {self.bin}/chromium; {CHMOD} +x {self.bin}/chromium"
            self._fake(
                "apt-get",
                f'if [ "$1" = install ]; then {installs if self.apt_works else "exit 100"}; fi',
            )
        build = self.playwright_home / "chromium-1255"
        playwright = self._fake(
            "playwright",
            f'if [ "$2" = --dry-run ]; then echo "  Install location:    {build}"; exit 0; fi\n'
            + (
                f"{MKDIR} -p {build} && : > {build}/INSTALLATION_COMPLETE"
                if self.download_works
                else 'echo "Download failed: blocked" >&2; exit 1'
            ),
        )
        done = subprocess.run(
            ["/bin/bash", str(SCRIPT)],
            env={"PATH": str(self.bin), "PLAYWRIGHT": str(playwright), **env},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        calls = [line for line in self.calls.read_text().splitlines() if not line.startswith("id")]
        return Run(done.returncode, done.stdout, done.stderr, calls)


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_it_uses_the_chromium_on_the_path_and_installs_nothing(machine: Machine) -> None:
    browser = machine.browser_on_path()
    machine.has_apt = True
    machine.user_id = 0

    run = machine.run()

    assert (run.returncode, run.stdout) == (0, f"{browser}\n")
    assert run.calls == []


def test_it_finds_chromium_browser_too(machine: Machine) -> None:
    browser = machine.browser_on_path("chromium-browser")

    assert machine.run().stdout == f"{browser}\n"


def test_it_uses_chromium_path_when_set(machine: Machine, tmp_path: Path) -> None:
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/bash\n")
    browser.chmod(0o755)

    run = machine.run(CHROMIUM_PATH=str(browser))

    assert (run.returncode, run.stdout, run.calls) == (0, f"{browser}\n", [])


def test_it_refuses_a_chromium_path_that_is_not_a_program(machine: Machine) -> None:
    run = machine.run(CHROMIUM_PATH="/nowhere/chromium")

    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "make test: CHROMIUM_PATH=/nowhere/chromium is not an executable file: point it at a "
        "Chromium binary, or unset it."
    ]


def test_as_root_with_apt_it_installs_debians_chromium(machine: Machine) -> None:
    machine.user_id, machine.has_apt, machine.apt_works = 0, True, True

    run = machine.run()

    assert (run.returncode, run.stdout) == (0, f"{machine.bin / 'chromium'}\n")
    assert run.calls == ["playwright install --dry-run chromium", "apt-get install -y -qq chromium"]


def test_without_root_it_downloads_playwrights_build(machine: Machine) -> None:
    machine.has_apt, machine.download_works = True, True

    run = machine.run()

    assert (run.returncode, run.stdout) == (0, "\n")
    assert run.calls == ["playwright install --dry-run chromium", "playwright install chromium"]


def test_when_apt_fails_it_falls_back_to_the_download(machine: Machine) -> None:
    machine.user_id, machine.has_apt, machine.download_works = 0, True, True

    run = machine.run()

    assert run.returncode == 0
    assert run.calls == [
        "playwright install --dry-run chromium",
        "apt-get install -y -qq chromium",
        "apt-get update -qq",
        "apt-get install -y -qq chromium",
        "playwright install chromium",
    ]


def test_it_uses_playwrights_build_when_already_downloaded(machine: Machine) -> None:
    build = machine.playwright_home / "chromium-1255"
    build.mkdir(parents=True)
    (build / "INSTALLATION_COMPLETE").touch()
    machine.user_id, machine.has_apt = 0, True

    run = machine.run()

    assert (run.returncode, run.stdout) == (0, "\n")
    assert run.calls == ["playwright install --dry-run chromium"]


@pytest.mark.parametrize("root", [True, False])
def test_when_nothing_works_it_says_in_one_line_what_to_install(
    machine: Machine, root: bool
) -> None:
    machine.user_id, machine.has_apt = (0 if root else 1000), True

    run = machine.run()

    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr.strip().splitlines()[-1] == NOTHING_WORKS
    assert "playwright install chromium" in run.calls
    assert ("apt-get install -y -qq chromium" in run.calls) is root


def test_the_makefile_runs_it_before_pytest() -> None:
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()

    assert 'CHROMIUM_PATH="$$(tests/browser/find_chromium.sh)" || exit 1' in makefile
    assert os.access(SCRIPT, os.X_OK)
