"""pip's editable checkouts in ``<venv>/src/NAME``: the remote and commit read from ``.git``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envsnap.environment.checkouts import pip_checkout
from envsnap.lock import Origin

if TYPE_CHECKING:
    from pathlib import Path

COMMIT = "0123456789abcdef" * 2 + "01234567"


def checkout(
    tmp_path: Path,
    *,
    head: str = "ref: refs/heads/main\n",
    refs: dict[str, str] | None = None,
    packed: str | None = None,
    config: str | None = '[core]\n\tbare = false\n[remote "origin"]\n\turl = {url}\n',
    url: str = "https://127.0.0.1:9/org/vcsdep.git",
) -> Path:
    """Write ``tmp_path/venv`` (a ``pyvenv.cfg``) with a git checkout in ``src/vcsdep``."""
    venv = tmp_path / "venv"
    (venv / "src" / "vcsdep" / ".git" / "refs" / "heads").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    git = venv / "src" / "vcsdep" / ".git"
    (git / "HEAD").write_text(head, encoding="utf-8")
    for name, value in ({"refs/heads/main": COMMIT} if refs is None else refs).items():
        (git / name).write_text(value + "\n", encoding="utf-8")
    if packed is not None:
        (git / "packed-refs").write_text(packed, encoding="utf-8")
    if config is not None:
        (git / "config").write_text(config.format(url=url), encoding="utf-8")
    return venv / "src" / "vcsdep"


def editable(path: Path) -> Origin:
    return Origin(kind="directory", url=path.as_uri(), editable=True)


@pytest.mark.parametrize(
    ("setup", "url"),
    [
        ({}, "https://127.0.0.1:9/org/vcsdep.git"),
        ({"head": COMMIT + "\n", "refs": {}}, "https://127.0.0.1:9/org/vcsdep.git"),
        (
            {"refs": {}, "packed": f"# pack-refs with: peeled\n{COMMIT} refs/heads/main\n"},
            "https://127.0.0.1:9/org/vcsdep.git",
        ),
        ({"url": "git@127.0.0.1:org/vcsdep.git"}, "ssh://git@127.0.0.1/org/vcsdep.git"),
        ({"url": "/srv/git/vcsdep"}, "file:///srv/git/vcsdep"),
        ({"url": '"https://127.0.0.1:9/q.git"'}, "https://127.0.0.1:9/q.git"),
    ],
    ids=["branch", "detached", "packed", "scp-like", "local-path", "quoted"],
)
def test_the_checkout_is_its_remote_at_its_commit(
    tmp_path: Path, setup: dict[str, object], url: str
) -> None:
    root = checkout(tmp_path, **setup)  # type: ignore[arg-type]
    found = pip_checkout(editable(root))
    assert found is not None
    origin, note = found
    assert origin == Origin(kind="vcs", vcs="git", url=url, commit=COMMIT)
    assert note == (
        f"pip's editable checkout {root} (inside the venv, which a restore replaces) is "
        f"recorded as its repository at its commit, git+{url}@{COMMIT}: a restore installs "
        "that commit, not editable"
    )


def test_a_project_below_the_checkout_keeps_its_subdirectory(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    (root / "python").mkdir()
    found = pip_checkout(editable(root / "python"))
    assert found is not None
    assert found[0].subdirectory == "python"


def test_credentials_of_the_remote_are_never_kept(tmp_path: Path) -> None:
    root = checkout(tmp_path, url="https://user:s3cr3t@127.0.0.1:9/org/vcsdep.git")
    found = pip_checkout(editable(root))
    assert found is not None
    assert found[0].url == "https://127.0.0.1:9/org/vcsdep.git"
    assert found[1].endswith("not editable; credentials removed from its URL")
    assert "s3cr3t" not in found[1]


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        ({"config": None}, "it has no remote"),
        ({"head": "ref: refs/heads/gone\n"}, "its HEAD names no commit"),
        ({"head": "ref: ../../../../etc/passwd\n"}, "its HEAD names no commit"),
        ({"url": "https://127.0.0.1:9/x\u001b]0;t\u0007"}, "its remote's URL holds a control "
         "character"),
    ],
    ids=["no-remote", "unborn", "outside", "control"],
)  # fmt: skip
def test_a_checkout_that_cannot_be_read_keeps_its_path(
    tmp_path: Path, setup: dict[str, object], why: str
) -> None:
    root = checkout(tmp_path, **setup)  # type: ignore[arg-type]
    origin = editable(root)
    assert pip_checkout(origin) == (
        origin,
        f"pip's editable checkout {root} is inside a venv, which a restore replaces, and its "
        f"repository cannot be read ({why}): the lock names that path",
    )


def test_other_vcs_and_plain_directories(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    hg = root.parent / "hgdep"
    (hg / ".hg").mkdir(parents=True)
    assert pip_checkout(editable(hg)) == (
        editable(hg),
        f"pip's editable checkout {hg} is inside a venv, which a restore replaces, and its "
        "repository cannot be read (a .hg checkout: envsnap reads git ones): the lock names "
        "that path",
    )
    project = tmp_path / "project"  # the user's own -e . is not pip's checkout
    (project / ".git").mkdir(parents=True)
    assert pip_checkout(editable(project)) is None
    assert pip_checkout(Origin(kind="directory", url=root.as_uri())) is None  # not editable
    assert pip_checkout(Origin()) is None
