"""Issue 20 item 11: what an ``-r``/``-c`` include holds is never quoted at length.

The attack: ``-r /proc/self/environ`` in a requirements file made ``check``,
``diff`` and ``restore --dry-run`` print the whole process environment in one
error line. Now a file of ``/proc`` or ``/sys`` (named, or reached through a
link) is refused as an include (and as the file itself), and no error quotes
more than a short, escaped prefix of a line (:func:`envsnap._text.excerpt`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from support.venvs import run_envsnap

if TYPE_CHECKING:
    from pathlib import Path

COMMANDS = {
    "check": ["check", "--no-env", "requirements.txt"],
    "diff": ["diff", "requirements.txt", "requirements.txt"],
    "restore": ["restore", "--dry-run", "--venv", "new", "requirements.txt"],
}
SECRET = "s3cr3t-value-of-the-env"
KERNEL_HINT = (
    "hint: include requirements files only: /proc and /sys are the kernel's views of "
    "processes and devices (a process's environment, for one)"
)


def _listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("-r /proc/self/environ", "-r /proc/self/environ"),
        ("-c /proc/self/environ", "-c /proc/self/environ"),
        ("--requirement=/sys/kernel/notes", "-r /sys/kernel/notes"),
        ("-r env.txt", "-r env.txt"),
    ],
    ids=["environ", "constraint", "sys", "link"],
)
def test_a_kernel_file_is_refused_as_an_include(
    tmp_path: Path, command: str, line: str, named: str
) -> None:
    (tmp_path / "requirements.txt").write_text(f"solo==1.0\n{line}\n", encoding="utf-8")
    os.symlink("/proc/self/environ", tmp_path / "env.txt")
    before = _listing(tmp_path)
    done = run_envsnap(*COMMANDS[command], cwd=tmp_path, env={"ENVSNAP_SECRET": SECRET})
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-2:] == [
        f"error: requirements.txt:2: {named}: a file of /proc or /sys, not a requirements "
        "file; refused",
        KERNEL_HINT,
    ]
    assert SECRET not in done.stdout + done.stderr
    assert _listing(tmp_path) == before


def test_a_kernel_file_named_as_the_lock_is_refused(tmp_path: Path) -> None:
    done = run_envsnap("check", "--no-env", "/proc/self/status", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: /proc/self/status: a file of /proc or /sys, not a requirements file; refused",
        KERNEL_HINT,
    ]


X60 = "x" * 60


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("included", "message"),
    [
        (
            f"TOKEN={SECRET}" + "x" * 10000,
            f"big.txt:1: Invalid requirement: '{f'TOKEN={SECRET}{X60}'[:60]}'... (10029 "
            f"characters): did you mean '{f'TOKEN=={SECRET}{X60}'[:60]}'... (10030 characters)?",
        ),
        (
            f"solo==1.0 --hash=k{SECRET}" + "0" * 10000 + ":ab",
            f"big.txt:1: Invalid --hash kind {f'k{SECRET}{X60}'[:60].replace('x', '0')}... "
            "(10024 characters), expected one of sha256, sha384, sha512",
        ),
        (
            "--" + "x" * 100 + SECRET,
            f"big.txt:1: --{X60[:58]}... (125 characters): not an option pip accepts in a "
            "requirements file",
        ),
    ],
    ids=["requirement", "hash", "option"],
)
def test_a_long_line_of_an_include_is_quoted_short(
    tmp_path: Path, command: str, included: str, message: str
) -> None:
    (tmp_path / "requirements.txt").write_text("solo==1.0\n-r big.txt\n", encoding="utf-8")
    (tmp_path / "big.txt").write_text(f"{included}\n", encoding="utf-8")
    before = _listing(tmp_path)
    done = run_envsnap(*COMMANDS[command], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {message}"]
    assert max(len(line) for line in done.stderr.splitlines()) < 300
    assert _listing(tmp_path) == before


# ---- issue 20 item 13: an included file's index options are said -----------------------------


@pytest.mark.integration
def test_an_included_index_url_is_said_in_the_plan_and_the_run(
    tmp_path: Path, loopback_index: str, wheelhouse: Path
) -> None:
    """Was: the include's ``--index-url`` used with no word, in the run or in ``--dry-run``."""
    host = loopback_index.removeprefix("http://")
    with_credentials = f"http://user:s3cr3t@{host}"
    (tmp_path / "requirements.txt").write_text("-r sub/more.txt\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text(
        f"--index-url {with_credentials}\n--find-links ../wheels-here\nsolo==1.0\n",
        encoding="utf-8",
    )
    (tmp_path / "wheels-here").mkdir()  # pip finds ../wheels-here from sub/, not from the top
    notes = [
        f"note: {tmp_path / 'sub' / 'more.txt'}:1: --index-url http://{host}: a file "
        "requirements.txt includes sets it; the installer uses it",
        f"note: {tmp_path / 'sub' / 'more.txt'}:2: --find-links {tmp_path / 'wheels-here'}: a "
        "file requirements.txt includes sets it; the installer uses it",
    ]
    plan = run_envsnap("restore", "--dry-run", "--without-pip", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert [line for line in plan.stdout.splitlines() if line.startswith("note: ")] == notes
    assert "s3cr3t" not in plan.stdout + plan.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt", "sub", "wheels-here"]

    done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("note: ")] == notes
    assert "s3cr3t" not in done.stdout + done.stderr
    # the command line's --index-url replaces the file's: nothing to say about that one
    again = run_envsnap(
        "restore", "--dry-run", "--without-pip", "--index-url", loopback_index, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert [line for line in again.stdout.splitlines() if line.startswith("note: ")] == notes[1:]
