"""Issue 20 item 6: a ``direct_url.json`` value holding a line break writes no option line.

The attack: a wheel may ship its own ``direct_url.json`` (pip installs every
file of the wheel's ``.dist-info``, and writes none of its own for an install
by name). Newlines in its URL became lines of the frozen file
(``--extra-index-url https://<another host>/...``); envsnap then refused the
file it had written. Now a value holding a control character is said (a
warning naming the ``.dist-info`` and quoting the value, escaped) and the
origin dropped: the distribution is pinned by version, from the index, and
the file reads back clean.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envsnap import __version__
from support.venvs import make_venv, pip_install, run_envsnap, venv_root
from support.wheels import build_wheel

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

INJECTED = (
    "https://127.0.0.1:9/evil-1.0-py3-none-any.whl"
    "\n--extra-index-url https://127.0.0.2/simple/\n\x1b]0;owned\x07"
)


@pytest.mark.parametrize(
    ("document", "key", "shown"),
    [
        (
            {"url": INJECTED, "archive_info": {}},
            "url",
            "'https://127.0.0.1:9/evil-1.0-py3-none-any.whl\\n--extra-index-'... (100 characters)",
        ),
        (
            {
                "url": "https://127.0.0.1:9/evil.git",
                "vcs_info": {"vcs": "git", "commit_id": "a" * 40 + "\n-i https://127.0.0.2/"},
            },
            "vcs_info.commit_id",
            f"'{'a' * 40}\\n-i https://127.0.0.'... (62 characters)",
        ),
    ],
    ids=["url", "commit"],
)
def test_a_shipped_direct_url_with_a_line_break_is_pinned_by_version(
    tmp_path: Path, document: dict[str, object], key: str, shown: str
) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(
        wheels,
        "evil",
        "1.0",
        files={
            "evil/__init__.py": "",
            "evil-1.0.dist-info/direct_url.json": json.dumps(document),
        },
    )
    python = make_venv(tmp_path / "venv")
    pip_install(python, "evil==1.0", find_links=wheels)
    site = next(venv_root(python).glob("lib/python3*/site-packages"))
    assert json.loads((site / "evil-1.0.dist-info" / "direct_url.json").read_text()) == document
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())

    done = run_envsnap("freeze", "-p", str(python), "-o", "requirements.txt", cwd=work)
    assert done.returncode == 0, done.stderr
    warning = (
        f"warning: {site}/evil-1.0.dist-info: direct_url.json: {key} {shown} holds a control "
        "character (U+000A); its origin is ignored: pinned by version, from the index"
    )
    assert done.stderr.splitlines()[1] == warning
    assert "\x1b" not in done.stderr
    text = (work / "requirements.txt").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == ["# top-level", "evil==1.0", "# transitive"]
    assert text.startswith(f"# envsnap {__version__} freeze - ")

    # the file reads back clean: the environment matches it, restore would install by name
    check = run_envsnap("check", "-p", str(python), "requirements.txt", cwd=work)
    assert check.returncode == 0, check.stderr
    assert check.stdout == f"OK requirements.txt matches env {venv_root(python)} (1 package)\n"
    plan = run_envsnap("restore", "--dry-run", "--venv", "new", "requirements.txt", cwd=work)
    assert plan.returncode == 0, plan.stderr
    assert "127.0.0.2" not in plan.stdout + plan.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert sorted(p.name for p in work.iterdir()) == ["requirements.txt"]
