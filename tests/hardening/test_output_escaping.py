"""Issue 20 item 4: nothing read from an environment, a lock or an index reaches a terminal raw.

The attack: ``--format github`` escaped its own stdout, but warnings, notes and
errors went to stderr as they were, and GitHub Actions reads workflow commands
from stderr too. A site-packages directory named
``x\\n::error title=pwned::...\\n::add-mask::...`` produced forged annotations,
and ANSI/OSC escapes from lock paths, URLs and index hrefs reached the terminal.

Now every message goes through one function (:func:`envsnap.cli.output.say`),
every output through its twin (:func:`envsnap.cli.output.show`), and the
renderers escape the values they quote (:func:`envsnap._text.printable`): no
control character but a line break is printed, no line starts a workflow
command (``::`` after any blanks, or ``##[`` anywhere) unless envsnap wrote it
(the annotations of ``--format github``), on either stream, in every format.
Each run is read-only: the directory it works in hashes the same after it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

import pytest

from support.venvs import make_venv, run_envsnap

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

pytestmark = pytest.mark.integration

FORGED = "x\n::error title=pwned::forged\n::add-mask::\x1b]0;owned\x07\u009b2J##[error]boom"
"""A name that would be three workflow commands, a terminal title and a screen wipe."""

_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_OWN_ANNOTATION = re.compile(
    r"::(error|notice) (file=[^,:]*,(line=\d+,)?)?title=envsnap%3A [^:,]+::[^\n]*"
)
"""A workflow command ``--format github`` writes: envsnap's title, escaped values."""


def assert_safe(done: subprocess.CompletedProcess[str], *, annotations: bool = False) -> None:
    """No control character but LF, and no workflow command envsnap did not write."""
    for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        found = _CONTROL.search(text)
        assert found is None, (stream, text)
        for line in text.splitlines():
            if line.lstrip().startswith("::"):
                assert annotations and stream == "stdout", (stream, line)
                assert _OWN_ANNOTATION.fullmatch(line), line
            assert "##[" not in line.replace("##[\\", ""), (stream, line)


def digest(root: Path) -> dict[str, str]:
    """Every entry under ``root`` and its sha256 (``dir`` for a directory)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(root.rglob("*"))
    }


def _dist_info(site: Path, name: str, *, files: dict[str, str | bytes]) -> Path:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    for file, content in files.items():
        target = info / file
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return info


@pytest.fixture
def hostile_venv(tmp_path: Path) -> Path:
    """A venv whose site-packages names, URLs, INSTALLER and RECORD carry the attack.

    - a metadata directory named :data:`FORGED` (no METADATA: a warning naming it);
    - ``solo``, whose ``direct_url.json`` URL holds the attack (item 6: a warning);
    - ``tool``, whose INSTALLER and an installed file's name (RECORD) hold it,
      that file changed since (``check --verify-files`` reports it by name).
    """
    venv = tmp_path / "venv"
    make_venv(venv)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / f"{FORGED}.dist-info").mkdir()
    _dist_info(
        site,
        "solo",
        files={
            "REQUESTED": "",
            "direct_url.json": json.dumps(
                {"url": f"https://127.0.0.1:9/solo-1.0.tar.gz{FORGED}", "archive_info": {}}
            ),
        },
    )
    module = "tool/\x1b]0;owned\x07::error title=pwned::x.py"
    (site / "tool").mkdir()
    (site / module).write_text("changed\n", encoding="utf-8")
    record = f'"{module}",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n'
    _dist_info(site, "tool", files={"INSTALLER": f"pip{FORGED}\n", "RECORD": record})
    return venv


@pytest.mark.parametrize(
    "args",
    [
        ["freeze"],
        ["freeze", "--format", "json"],
        ["freeze", "--explain", "tool", "--explain", "solo"],
        ["tree"],
        ["tree", "--format", "json"],
        ["tree", "--format", "dot"],
        ["tree", "--format", "mermaid"],
    ],
    ids=["freeze", "freeze-json", "explain", "tree", "tree-json", "dot", "mermaid"],
)
def test_what_an_environment_holds_is_printed_escaped(
    tmp_path: Path, hostile_venv: Path, args: list[str]
) -> None:
    before = digest(tmp_path)
    done = run_envsnap(*args, "-p", str(hostile_venv), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_safe(done)
    site = next(hostile_venv.glob("lib/python3*/site-packages"))
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {site}/solo-1.0.dist-info: direct_url.json: url "
        "'https://127.0.0.1:9/solo-1.0.tar.gzx\\n::error title=pwned::fo'... (103 characters) "
        "holds a control character (U+000A); its origin is ignored: pinned by version, from "
        "the index",
        f"warning: {site}/x\\n::error title=pwned::forged\\n::add-mask::\\u001b]0;owned"
        "\\u0007\\u009b2J##[\\error]boom.dist-info: no METADATA file: skipped",
    ]
    assert digest(tmp_path) == before


@pytest.mark.parametrize("report", ["text", "json", "github"])
def test_a_report_on_hostile_files_is_escaped(
    tmp_path: Path, hostile_venv: Path, report: str
) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("solo==1.0\ntool==1.0\n", encoding="utf-8")
    before = digest(tmp_path)
    done = run_envsnap(
        "check",
        "-p",
        str(hostile_venv),
        "--verify-files",
        "--format",
        report,
        str(lock),
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert_safe(done, annotations=report == "github")
    shown = "tool/\\u001b]0;owned\\u0007::error title=pwned::x.py"
    if report == "json":
        changes = json.loads(done.stdout)["changes"]
        assert [c["detail"] for c in changes] == ["tool/\x1b]0;owned\x07::error title=pwned::x.py"]
    elif report == "github":
        assert done.stdout.splitlines()[0] == (
            "::error title=envsnap%3A installed files modified::tool: "
            f"{shown} was changed after install (its RECORD hash differs)"
        )
    else:
        assert done.stdout.splitlines()[1] == (
            f"  tool: {shown} was changed after install (its RECORD hash differs)"
        )
    assert digest(tmp_path) == before


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    """A directory whose name is the attack, holding two lock files and a project."""
    where = tmp_path / FORGED
    where.mkdir()
    (where / "requirements.txt").write_text("solo==1.0\nalpha>=1\n", encoding="utf-8")
    (where / "other.txt").write_text("solo==2.0\n", encoding="utf-8")
    (where / "pyproject.toml").write_text(
        '[project]\nname = "app"\ndependencies = ["solo", "beta"]\n', encoding="utf-8"
    )
    return where


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", "--no-env", "--project", "{d}/pyproject.toml", "{d}/requirements.txt"], 1),
        (["check", "--no-env", "--format", "github", "--project", "{d}/pyproject.toml",
          "{d}/requirements.txt"], 1),
        (["check", "--no-env", "--format", "json", "--project", "{d}/pyproject.toml",
          "{d}/requirements.txt"], 1),
        (["diff", "{d}/requirements.txt", "{d}/other.txt"], 1),
        (["diff", "--format", "github", "{d}/requirements.txt", "{d}/other.txt"], 1),
        (["restore", "--dry-run", "--venv", "{d}/new", "{d}/requirements.txt"], 0),
        (["check", "--no-env", "{d}/missing.txt"], 2),
        (["restore", "--venv", "{d}/new", "{d}/missing.txt"], 2),
    ],
    ids=["check", "check-github", "check-json", "diff", "diff-github", "dry-run",
         "error", "restore-error"],
)  # fmt: skip
def test_lock_paths_are_printed_escaped(
    tmp_path: Path, hostile_dir: Path, args: list[str], code: int
) -> None:
    before = digest(tmp_path)
    done = run_envsnap(*(a.format(d=hostile_dir) for a in args), cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert_safe(done, annotations="github" in args)
    shown = (
        "x\\n::error title=pwned::forged\\n::add-mask::\\u001b]0;owned\\u0007\\u009b2J"
        "##[\\error]boom"
    )
    assert shown in done.stdout + done.stderr
    assert digest(tmp_path) == before


def test_index_hrefs_are_printed_escaped(tmp_path: Path) -> None:
    """A local index whose page links the wheel under a hostile directory name."""
    venv = tmp_path / "venv"
    make_venv(venv)
    site = next(venv.glob("lib/python3*/site-packages"))
    _dist_info(site, "solo", files={"REQUESTED": ""})
    page = tmp_path / "index" / "solo"
    page.mkdir(parents=True)
    href = "sub\x1b]0;owned\x07\u009b2J::error title=x::y/solo-1.0-py3-none-any.whl"
    (page / "index.html").write_text(
        f'<html><body><a href="{href}">solo-1.0-py3-none-any.whl</a></body></html>',
        encoding="utf-8",
    )
    index = (tmp_path / "index").as_uri() + "/"
    before = digest(tmp_path)
    done = run_envsnap("freeze", "-p", str(venv), "--hashes", "--index-url", index, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert_safe(done)
    assert done.stderr.splitlines()[2] == (
        "error: solo==1.0: solo-1.0-py3-none-any.whl: the index lists it but answers 404 Not "
        f"Found ({index}solo/sub\\u001b]0;owned\\u0007\\u009b2J::error title=x::y/"
        "solo-1.0-py3-none-any.whl)"
    )
    assert digest(tmp_path) == before
