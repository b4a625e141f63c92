"""The Chromium the browser tests drive, and `make test`'s set-up of one.

Looked for in this order: CHROMIUM_PATH; a `chromium` on PATH (Debian's /usr/bin/chromium);
Playwright's own browser (under PLAYWRIGHT_BROWSERS_PATH, by default ~/.cache/ms-playwright).

`python -m tests.browser.chromium` (run by `make test`) makes sure one of them starts. If none
does, it runs `playwright install chromium`; if that fails (no internet, missing system
libraries), on Debian or Ubuntu as root it installs Debian's chromium package with apt-get;
if nothing works, it says in one line what to run, and exits 1, before any test runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DEBIAN_CHROMIUM = "/usr/bin/chromium"
# Where apt-get and Debian's chromium live, whatever the caller's PATH holds.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def executable() -> str | None:
    """The Chromium to launch: CHROMIUM_PATH, else a `chromium` on PATH; None means
    Playwright's own browser."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return shutil.which(explicit) or explicit
    return shutil.which("chromium")


def launch(playwright, path: str | None):
    """A headless Chromium from `path` (None: Playwright's own), as the tests run it."""
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def launch_error(path: str | None) -> str | None:
    """None if a headless Chromium starts from `path` (None: Playwright's own); otherwise
    why not, in one line."""
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            launch(playwright, path).close()
    except Error as exc:
        return first_line(str(exc))
    return None


def first_line(text: str) -> str:
    """The gist of an error text: its first "Error:" line, else its first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    line = (errors or lines or ["no output"])[0].removeprefix("Error:").strip()
    return line[:200]


def _run(command: list[str]) -> str | None:
    """Run a set-up command with its output captured: None if it worked, else its error."""
    env = {**os.environ, "PATH": os.environ.get("PATH", "") + os.pathsep + SYSTEM_PATH,
           "DEBIAN_FRONTEND": "noninteractive"}
    # Fixed command lines: this interpreter's Playwright, or apt-get.
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode == 0:
        return None
    return first_line(result.stderr + "\n" + result.stdout)


def _debian_root() -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get", path=SYSTEM_PATH):
        return False
    try:
        release = Path("/etc/os-release").read_text()
    except OSError:
        return False
    names = {word.strip('"').lower() for line in release.splitlines()
             if line.startswith(("ID=", "ID_LIKE=")) for word in line.split("=", 1)[1].split()}
    return bool(names & {"debian", "ubuntu"})


def _say(message: str) -> None:
    print(f"Browser tests: {message}", flush=True)


def ensure() -> int:
    """Make sure a Chromium starts; install one if need be. 0 if one does, else 1."""
    explicit = os.environ.get("CHROMIUM_PATH")
    found = executable()
    if explicit:
        why = launch_error(found)
        if why is None:
            _say(f"Chromium at {found}.")
            return 0
        print(f"CHROMIUM_PATH={explicit} does not start a Chromium ({why}): point it at one, "
              "or unset it.", file=sys.stderr)
        return 1
    if found and launch_error(found) is None:
        _say(f"Chromium at {found}.")
        return 0
    if launch_error(None) is None:
        _say("Playwright's Chromium.")
        return 0

    _say("no Chromium found; running `playwright install chromium` (a download).")
    why = _run([sys.executable, "-m", "playwright", "install", "chromium"])
    if why is None and launch_error(None) is None:
        _say("Playwright's Chromium, just installed.")
        return 0
    _say(f"`playwright install chromium` failed: {why or 'its Chromium does not start'}.")

    if _debian_root():
        _say("installing Debian's chromium package (apt-get install chromium).")
        _run(["apt-get", "update", "-qq"])  # stale lists only; install says if it matters
        why = _run(["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=120",
                    "chromium"])
        if why is None and launch_error(DEBIAN_CHROMIUM) is None:
            _say(f"Debian's Chromium at {DEBIAN_CHROMIUM}.")
            return 0
        _say(f"apt-get install chromium failed: {why or 'its Chromium does not start'}.")

    if Path("/etc/debian_version").exists():
        advice = "run `" + ("" if os.geteuid() == 0 else "sudo ") + "apt-get install chromium`"
    else:
        playwright = _relative(Path(sys.executable).parent / "playwright")
        advice = (f"run `{playwright} install --with-deps chromium` where the internet is "
                  "reachable, or set CHROMIUM_PATH to a Chromium")
    print(f"No Chromium for the browser tests: {advice}, then `make test` again.",
          file=sys.stderr)
    return 1


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(ensure())
