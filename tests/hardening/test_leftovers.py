"""Issue 15 item 9: the leftovers of one venv are never taken for another's.

A restore killed after it moved the old venv aside leaves ``.NAME.envsnap-old-PID``.
The attacks: ``venv`` and ``.venv`` side by side (they shared the aside-name
``.venv.envsnap-old-PID``, so ``--recover`` for ``.venv`` put ``venv``'s old venv in
its place), and a target whose name is a glob pattern (``e[1]``: its leftover
was invisible, and ``e1``'s taken for it). The leftovers are made by a real
``envsnap restore`` killed while it waits for a download that never comes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from envsnap.restore import find_leftovers
from support.venvs import clean_env, make_venv, run_envsnap

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` and its sha256 (symlinks as their target)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(root))] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def user_venv(path: Path, marker: str) -> dict[str, str]:
    """A real venv holding a file that says whose it is."""
    make_venv(path)
    (path / "bin" / "whose.txt").write_text(f"{marker}\n", encoding="utf-8")  # inside the layout
    return tree_digest(path)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback port that takes connections and never answers (a download that never ends)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def interrupted_restore(work: Path, venv: str, server: str) -> Path:
    """Run ``envsnap restore --venv VENV`` and SIGKILL it once the old venv is moved aside.

    Returns:
        The aside directory the killed run left.
    """
    digest = "0" * 64
    lock = work / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "solo"\n'
        f'version = "1.0"\nwheels = [{{ url = "{server}/solo-1.0-py3-none-any.whl", '
        f'hashes = {{ sha256 = "{digest}" }} }}]\n',
        encoding="utf-8",
    )
    before = set(os.listdir(work))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "envsnap",
            "restore",
            "pylock.toml",
            "--venv",
            venv,
            "--without-pip",
        ],
        cwd=work,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while process.poll() is None:  # the run moves the venv aside, then hangs downloading
            new = [n for n in set(os.listdir(work)) - before if ".envsnap-old-" in n]
            if new:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the restore ended before it moved the venv aside"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    (aside,) = new
    lock.unlink()
    return work / aside


def test_recover_for_dot_venv_does_not_take_venvs_leftover(
    tmp_path: Path, silent_server: str
) -> None:
    plain = user_venv(tmp_path / "venv", "venv")
    dotted = user_venv(tmp_path / ".venv", ".venv")
    aside = interrupted_restore(tmp_path, "venv", silent_server)
    assert aside.name == f".venv.envsnap-old-{aside.name.rsplit('-', 1)[1]}"
    wrong = run_envsnap("restore", "--recover", "--venv", ".venv", cwd=tmp_path)
    assert wrong.returncode == 2, wrong.stderr
    assert wrong.stderr.splitlines()[0] == (
        f"error: {tmp_path / '.venv'}: no old venv left by an interrupted restore"
    )
    assert tree_digest(tmp_path / ".venv") == dotted
    right = run_envsnap("restore", "--recover", "--venv", "venv", cwd=tmp_path)
    assert right.returncode == 0, right.stderr
    assert tree_digest(tmp_path / "venv") == plain
    assert tree_digest(tmp_path / ".venv") == dotted


def test_a_dot_venvs_leftover_blocks_only_dot_venv(tmp_path: Path, silent_server: str) -> None:
    user_venv(tmp_path / "venv", "venv")
    dotted = user_venv(tmp_path / ".venv", ".venv")
    aside = interrupted_restore(tmp_path, ".venv", silent_server)
    assert aside.name.startswith("..venv.envsnap-old-")
    assert find_leftovers(tmp_path / "venv") == []
    assert find_leftovers(tmp_path / ".venv") == [aside]
    back = run_envsnap("restore", "--recover", "--venv", ".venv", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert tree_digest(tmp_path / ".venv") == dotted


def test_a_target_named_like_a_glob_sees_its_own_leftover_only(
    tmp_path: Path, silent_server: str
) -> None:
    other = user_venv(tmp_path / "e1", "e1")
    other_aside = interrupted_restore(tmp_path, "e1", silent_server)
    mine = user_venv(tmp_path / "e[1]", "e[1]")
    aside = interrupted_restore(tmp_path, "e[1]", silent_server)
    assert find_leftovers(tmp_path / "e[1]") == [aside]
    assert find_leftovers(tmp_path / "e1") == [other_aside]
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "t"\npackages = []\n', encoding="utf-8"
    )
    blocked = run_envsnap("restore", "pylock.toml", "--venv", "e[1]", cwd=tmp_path)
    assert blocked.returncode == 2, blocked.stderr
    assert blocked.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'e[1]'}: a previous restore was interrupted and left the old venv "
        f"at {aside}"
    )
    back = run_envsnap("restore", "--recover", "--venv", "e[1]", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert tree_digest(tmp_path / "e[1]") == mine
    assert other_aside.is_dir()
    back = run_envsnap("restore", "--recover", "--venv", "e1", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert tree_digest(tmp_path / "e1") == other


@pytest.mark.parametrize(
    ("target", "not_its_own"),
    [
        ("venv", "venv.envsnap-old-1"),  # another target's aside-name ends in digits too
        ("venv", ".venv.envsnap-old-12x"),
        ("venv", ".venv.envsnap-old-\u0661"),  # a non-ASCII digit
        ("*", ".a.envsnap-old-3"),
        ("v?", ".vv.envsnap-old-4"),
    ],
)
def test_find_leftovers_matches_the_exact_name(
    tmp_path: Path, target: str, not_its_own: str
) -> None:
    (tmp_path / not_its_own).mkdir()
    (tmp_path / f".{not_its_own}.envsnap-old-5").mkdir()  # the aside of a target named so
    assert find_leftovers(tmp_path / target) == []
    (tmp_path / f".{target}.envsnap-old-7").mkdir()
    assert find_leftovers(tmp_path / target) == [tmp_path / f".{target}.envsnap-old-7"]
