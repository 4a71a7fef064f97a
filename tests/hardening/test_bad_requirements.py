"""Bad requirements files of ``fixtures/bad/requirements`` through ``envsnap check``.

The file is read before the environment, so an unusable file stops with exit 2
and one ``error:`` line naming ``FILE[:LINE]``; files that pip accepts are read
(and compared) as pip would read them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envsnap.lockfiles.readers import read_lock
from envsnap.lockfiles.requirements.read import load
from hardening.corpus import BAD, assert_error, assert_no_traceback, fake_target, invoke, lines_of
from support.fake_site import FakeSite

if TYPE_CHECKING:
    from pathlib import Path

REQ = BAD / "requirements"
ZERO = "0" * 64

# file -> (exit code, fragments of the error line (after the file path), hint fragment)
ERRORS: dict[str, tuple[str, str | None]] = {
    "unknown-option.txt": (
        ":2: --frobnicate: not an option pip accepts in a requirements file",
        "fix the option's spelling",
    ),
    "conflicting-pins.txt": (":2: alpha is listed twice (also on line 1)", "one requirement"),
    "conflicting-pins-spelling.txt": (
        ":2: foo-bar is listed twice (also on line 1)",
        "one requirement",
    ),
    "conflicting-pins-case.txt": (":2: alpha is listed twice (also on line 1)", "one requirement"),
    "include-loop-a.txt": (": Double requirement given: alpha==1.0", None),
    "missing-include.txt": (":2: -r does-not-exist.txt: no such file", None),
    "bad-hash-syntax.txt": (":1: cannot parse --hash=sha256", "--hash=ALGORITHM:HEX"),
    "bad-hash-algorithm.txt": (
        ":1: Invalid --hash kind sha999, expected one of sha256, sha384, sha512",
        None,
    ),
    "bom.txt": (":1: the file starts with a byte-order mark (BOM)", "UTF-8 without a BOM"),
    "not-utf8.txt": (": not UTF-8 text (invalid continuation byte)", None),
    "invalid-marker.txt": (":2: Invalid requirement: ", None),
    "envsnap-header-marker.txt": (":3: markers are not part of a file envsnap writes", None),
    "editable-without-path.txt": (":2: -e without a path or URL", None),
}


@pytest.fixture
def venv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fake env holding alpha 1.0 and beta 1.0 (what the corpus files name)."""
    target = fake_target(monkeypatch, tmp_path)
    site = FakeSite(target / "lib" / "python3.11" / "site-packages")
    site("alpha", "1.0", requested=True)
    site("beta", "1.0", requested=True)
    return target


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_unusable_file_exit_2(name: str, venv: Path) -> None:
    fragment, hint = ERRORS[name]
    path = REQ / name
    result = invoke("check", str(path), "-p", str(venv))
    line = assert_error(result, 2, f"error: {path}{fragment}", hint=hint)
    assert line.startswith(f"error: {path}")
    assert result.stdout == ""


def test_include_loop_other_side(venv: Path) -> None:
    path = REQ / "include-loop-b.txt"
    result = invoke("check", str(path), "-p", str(venv))
    assert_error(result, 2, f"error: {path}: Double requirement given: beta==1.0")


def test_unpinned_line_is_a_warning(venv: Path) -> None:
    """pip installs ``beta>=1.0``; check says it is not pinned, and compares the rest."""
    path = REQ / "unpinned.txt"
    result = invoke("check", str(path), "-p", str(venv))
    assert_no_traceback(result)
    assert lines_of(result.stderr, "warning: ") == [
        f"warning: {path}:2: beta>=1.0 is not pinned to one version"
    ]
    assert result.exit_code == 0, result.stdout


def test_crlf_line_endings_read_as_lf(venv: Path, tmp_path: Path) -> None:
    path = REQ / "crlf.txt"
    assert b"\r\n" in path.read_bytes()
    lock = read_lock(path)
    assert [(p.name, str(p.version), p.hashes) for p in lock.packages] == [
        ("alpha", "1.0", ()),
        ("beta", "1.0", (f"sha256:{ZERO}",)),
    ]
    lf = tmp_path / "lf.txt"
    lf.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    assert [(p.name, p.version, p.hashes) for p in load(lf).packages] == [
        (p.name, p.version, p.hashes) for p in lock.packages
    ]
    result = invoke("check", str(path), "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stdout


def test_env_var_in_url_is_never_expanded(venv: Path) -> None:
    """pip expands ``${VAR}`` at install time; envsnap keeps the text, so a secret
    in the variable never reaches its output."""
    path = REQ / "env-var-url.txt"
    secret = "s3cr3t-token-value"
    lock = read_lock(path)
    alpha = lock.get("alpha")
    assert alpha is not None
    assert alpha.origin.url == "https://${INDEX_TOKEN}@files.example.invalid/alpha-1.0.tar.gz"
    result = invoke("check", str(path), "-p", str(venv), env={"INDEX_TOKEN": secret})
    assert_no_traceback(result)
    assert result.exit_code == 1  # alpha is installed from the index, not that URL
    assert "alpha" in result.stdout
    assert secret not in result.stdout + result.stderr


def test_every_requirements_case_is_tested() -> None:
    tested = {*ERRORS, "include-loop-b.txt", "unpinned.txt", "crlf.txt", "env-var-url.txt"}
    assert {p.name for p in REQ.iterdir()} == tested


# issue 15 item 11: a line pip rejects is rejected before anything is created
PIP_REJECTS = [
    pytest.param(
        "alpha==1.0\nbeta==1.0 --frobnicate\n",
        ":2: --frobnicate: not an option pip accepts in a requirements file",
        id="unknown-option-on-a-requirement-line",
    ),
    pytest.param(
        "alpha==1.0\nfoo bar==1.0\n",
        ":2: Invalid requirement: 'foo bar==1.0': Expected semicolon",
        id="not-pep-508-that-pip-api-reads-as-foobar",
    ),
    pytest.param(
        "alpha==1.0 \\\n    --hash\n",
        ":1: --hash needs a value",
        id="option-without-its-value",
    ),
    pytest.param(
        "--index-url\nalpha==1.0\n",
        ":1: --index-url needs a value",
        id="index-option-without-its-value",
    ),
    pytest.param(
        "alpha==1.0 --config-settings novalue\n",
        ":1: --config-settings novalue: not of the form KEY=VALUE",
        id="config-settings-without-equals",
    ),
    pytest.param(
        "alpha==1.0 'unclosed\n",
        ':1: Invalid requirement: "alpha==1.0 \'unclosed"',
        id="stray-word",
    ),
]


@pytest.mark.parametrize(("text", "fragment"), PIP_REJECTS)
def test_restore_refuses_a_line_pip_rejects_before_creating_anything(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    target = tmp_path / "new-venv"
    result = invoke("restore", str(path), "--venv", str(target))
    assert_error(result, 2, f"error: {path}{fragment}")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


def test_a_bad_line_of_an_included_file_is_named_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("gamma==1.0\nbeta==1.0 --frobnicate\n", encoding="utf-8")
    path = tmp_path / "requirements.txt"
    path.write_text("alpha==1.0\n-r base.txt\n", encoding="utf-8")
    result = invoke("restore", str(path), "--venv", str(tmp_path / "new-venv"))
    assert_error(result, 2, f"error: {tmp_path / 'base.txt'}:2: --frobnicate: not an option")
    assert not (tmp_path / "new-venv").exists()


@pytest.mark.parametrize(
    "text",
    [
        "alpha==1.0 --pre\n",  # pip takes any of its options on a requirement line
        "alpha==1.0 --hash sha256:" + ZERO + "\n",
        "alpha==1.0 -C key=value\n",
        "alpha @ https://files.example.invalid/alpha-1.0-py3-none-any.whl\n",
        'alpha==1.0 ; python_version >= "3"  # a comment\n',
    ],
)
def test_lines_pip_accepts_are_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    assert [p.name for p in load(path).packages] == ["alpha"]


def test_a_bad_line_of_a_constraint_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("beta==1.0 --frobnicate\n", encoding="utf-8")
    path = tmp_path / "requirements.txt"
    path.write_text("alpha==1.0\n-c constraints.txt\n", encoding="utf-8")
    result = invoke("restore", str(path), "--venv", str(tmp_path / "new-venv"))
    assert_error(result, 2, f"error: {tmp_path / 'constraints.txt'}:1: --frobnicate: not an")
    assert not (tmp_path / "new-venv").exists()
