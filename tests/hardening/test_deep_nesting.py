"""Issue 15, item 12: deeply nested TOML and JSON are invalid input, not a traceback.

The attack: ``a = [[[[...`` a hundred thousand deep in ``pylock.toml``,
``pyproject.toml`` or ``direct_url.json`` made the parser raise
RecursionError, which escaped as a traceback. Every TOML file now goes through
the one loader (``envsnap._io.parse_toml``) and every JSON file through
``envsnap._io.load_json``; nesting too deep for the parser is that file's
invalid-input error (exit 2), or the usual warning for a distribution's
``direct_url.json``. Nesting that parses (a few hundred deep) goes on as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envsnap._io import load_json, load_toml, parse_toml
from envsnap.errors import LockFileError
from hardening.corpus import assert_error, assert_no_traceback, fake_target, invoke, site_packages
from support.venvs import messages

if TYPE_CHECKING:
    from pathlib import Path

DEEP = 100_000


def _array(depth: int) -> str:
    return "[" * depth + "]" * depth


def _pylock(value: str) -> str:
    return (
        'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nversion = "1.0"\n'
        f'directory = {{ path = "." }}\n[tool]\ny = {value}\n'
    )


@pytest.mark.parametrize("value", [_array(DEEP), "{a=" * DEEP + "1" + "}" * DEEP])
def test_pylock_nested_too_deeply(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    venv = fake_target(monkeypatch, tmp_path)
    (tmp_path / "pylock.toml").write_text(_pylock(value), encoding="utf-8")
    for command in (
        ("check", "pylock.toml", "-p", str(venv)),
        ("diff", "pylock.toml", "pylock.toml"),
    ):
        result = invoke(*command)
        assert_error(result, 2, "error: pylock.toml: invalid TOML: nested too deeply")
    restore = invoke("restore", "pylock.toml", "--venv", str(tmp_path / "new"))
    assert_error(restore, 2, "error: pylock.toml: invalid TOML: nested too deeply")
    assert not (tmp_path / "new").exists()


def test_pylock_nested_a_few_hundred_deep_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_target(monkeypatch, tmp_path)
    (tmp_path / "pylock.toml").write_text(_pylock(_array(300)), encoding="utf-8")
    result = invoke("diff", "pylock.toml", "pylock.toml")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "OK pylock.toml matches pylock.toml (1 package)\n"


def test_pyproject_nested_too_deeply(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    venv = fake_target(monkeypatch, tmp_path)
    project = tmp_path / "pyproject.toml"
    project.write_text(f'[project]\nname = "p"\nx = {_array(DEEP)}\n', encoding="utf-8")
    result = invoke("freeze", "-q", "-p", str(venv), "--project", str(project))
    assert_error(result, 2, f"error: {project}: invalid TOML: nested too deeply")
    assert result.stdout == ""


def test_editable_project_with_a_deep_pyproject_falls_back_to_setup_cfg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``-e DIR`` takes its name from pyproject.toml, else setup.cfg: the deep file is skipped."""
    venv = fake_target(monkeypatch, tmp_path)
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text(
        f'[project]\nname = "p"\nx = {_array(DEEP)}\n', encoding="utf-8"
    )
    (tmp_path / "proj" / "setup.cfg").write_text("[metadata]\nname = fromcfg\n", "utf-8")
    (tmp_path / "requirements.txt").write_text("-e ./proj\n", encoding="utf-8")
    result = invoke("check", "requirements.txt", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 1, result.stderr
    assert "  fromcfg @ editable file://" in result.stdout


@pytest.mark.parametrize("depth", [DEEP, 400])
def test_direct_url_json_nested(
    depth: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    venv = fake_target(monkeypatch, tmp_path, "direct-url-unknown-keys")
    durl = site_packages(venv) / "durl-1.0.dist-info" / "direct_url.json"
    nested = "[" * depth + "]" * depth
    durl.write_text(
        '{"url": "https://example.invalid/durl-1.0.tar.gz", "archive_info": {}, '
        f'"x": {nested}}}',
        encoding="utf-8",
    )
    result = invoke("freeze", "-q", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0
    if depth == DEEP:
        assert messages(result.stderr) == (
            f"warning: {durl}: invalid direct_url.json (nested too deeply): ignored\n"
        )
        assert result.stdout.splitlines()[2] == "durl==1.0"
    else:  # unknown keys are ignored (PEP 610), however deep
        assert messages(result.stderr) == ""
        assert result.stdout.splitlines()[2] == "durl @ https://example.invalid/durl-1.0.tar.gz"


def test_the_loaders_themselves(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^nested too deeply$"):
        load_toml(f"a = {_array(DEEP)}")
    with pytest.raises(ValueError, match=r"^nested too deeply$"):
        load_json(_array(DEEP))
    with pytest.raises(LockFileError) as info:
        parse_toml("a = ", tmp_path / "x.toml", error=LockFileError)
    assert info.value.message.startswith(f"{tmp_path / 'x.toml'}: invalid TOML: ")
    assert load_toml("a = [[1]]") == {"a": [[1]]}
    assert load_json(b'{"a": [1]}') == {"a": [1]}


# ---- issue 20 item 13: chains as deep as an environment or a pyproject makes them -------------

CHAIN = 1200


def _chain(site: Path, length: int) -> None:
    """``d0000`` (requested) requires ``d0001``, which requires ``d0002``, ... ``d{length-1}``."""
    for i in range(length):
        info = site / f"d{i:04d}-1.0.dist-info"
        info.mkdir()
        needs = f"Requires-Dist: d{i + 1:04d}\n" if i + 1 < length else ""
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: d{i:04d}\nVersion: 1.0\n{needs}", encoding="utf-8"
        )
    (site / "d0000-1.0.dist-info" / "REQUESTED").touch()


def test_a_dependency_chain_a_thousand_deep_is_shown_in_every_format(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Was: RecursionError (a traceback) from ``tree`` in every format, near 1,000 levels."""
    venv = fake_target(monkeypatch, tmp_path)
    _chain(site_packages(venv), CHAIN)
    text = invoke("tree", "-p", str(venv))
    assert_no_traceback(text)
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert len(lines) == CHAIN
    assert lines[0] == "d0000==1.0"
    assert lines[-1] == " " * 4 * (CHAIN - 2) + f"└── d{CHAIN - 1:04d}==1.0 [required: any]"
    data = invoke("tree", "-p", str(venv), "--format", "json")
    assert data.exit_code == 0
    # the last package's fields, as json.dumps(indent=2) places them under 2 * CHAIN lists
    # (json.loads itself gives up at that depth: checked by the text)
    pad = " " * (4 * CHAIN + 2)
    assert f'{pad}"name": "d{CHAIN - 1:04d}",\n{pad}"display_name"' in data.stdout
    assert data.stdout.endswith("\n    }\n  ]\n}\n")
    for args in (["--format", "dot"], ["--format", "mermaid"], ["--reverse"]):
        shown = invoke("tree", "-p", str(venv), *args)
        assert_no_traceback(shown)
        assert shown.exit_code == 0
        assert f"d{CHAIN - 1:04d}" in shown.stdout
    freeze = invoke("freeze", "-p", str(venv), "-o", "requirements.txt")
    assert freeze.exit_code == 0, freeze.stderr
    check = invoke("check", "-p", str(venv), "requirements.txt")
    assert check.exit_code == 0, check.stderr
    assert check.stdout == f"OK requirements.txt matches env {venv} ({CHAIN} packages)\n"


def _groups(length: int) -> str:
    lines = ['[project]\nname = "app"\n\n[dependency-groups]']
    for i in range(length):
        include = f', {{ include-group = "g{i + 1}" }}' if i + 1 < length else ""
        lines.append(f'g{i} = ["d{i:04d}"{include}]')
    return "\n".join(lines) + "\n"


def test_a_dependency_group_chain_past_the_bound_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Was: RecursionError from packaging's resolver near 600 levels; now one line, exit 2."""
    venv = fake_target(monkeypatch, tmp_path)
    _chain(site_packages(venv), 100)
    assert invoke("freeze", "-p", str(venv), "-o", "requirements.txt").exit_code == 0
    (tmp_path / "pyproject.toml").write_text(_groups(1000), encoding="utf-8")
    before = (tmp_path / "requirements.txt").read_bytes()
    for command in (
        ("check", "--no-env", "--group", "g0", "requirements.txt"),
        ("check", "-p", str(venv), "--group", "g0", "requirements.txt"),
        ("freeze", "-p", str(venv), "--group", "g0", "-o", "requirements.txt"),
    ):
        assert_error(
            invoke(*command),
            2,
            f"error: {tmp_path / 'pyproject.toml'}: dependency group 'g0': its include-group "
            "chain is 1000 groups long (g0 -> g1 -> g2 -> g3 -> ...); envsnap follows at most "
            "100",
            hint="flatten the chain: a group may list the requirements it includes",
        )
    assert (tmp_path / "requirements.txt").read_bytes() == before
    # a hundred groups deep is read: every one of them is declared
    (tmp_path / "pyproject.toml").write_text(_groups(100), encoding="utf-8")
    check = invoke("check", "-p", str(venv), "--group", "g0", "requirements.txt")
    assert_no_traceback(check)
    assert check.exit_code == 0, check.stdout
