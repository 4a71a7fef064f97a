"""Bad ``pylock.*.toml`` files of ``fixtures/bad/pylock`` through ``envsnap check``.

Each invalid file stops with exit 2 and one ``error:`` line naming the file
and, for a PEP 751 violation, the key path (``packages[0].wheels[0]``), with a
hint saying how to get a valid one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envsnap.lockfiles.readers import read_lock
from hardening.corpus import BAD, assert_error, assert_no_traceback, fake_target, invoke
from support.fake_site import FakeSite

PYLOCK = BAD / "pylock"
REGENERATE = "fix or regenerate it"

# file -> (error fragment after the path, hint fragment)
ERRORS: dict[str, tuple[str, str | None]] = {
    "pylock.invalid-toml.toml": (
        ": invalid TOML: Expected '=' after a key in a key/value pair (at line 9, column 6)",
        None,
    ),
    "pylock.lock-version-2.toml": (": pylock version 2.0 is not supported", REGENERATE),
    "pylock.no-created-by.toml": (": Missing required value (at created-by)", REGENERATE),
    "pylock.wheels-and-vcs.toml": (
        ": None of vcs, directory, archive must be set if sdist or wheels are set (at packages[0])",
        REGENERATE,
    ),
    "pylock.non-normalized-name.toml": (
        ": Name 'Gamma_Pkg' is not normalized (at packages[0].name)",
        REGENERATE,
    ),
    "pylock.wheel-name-mismatch.toml": (
        ": Name in 'beta-1.0-py3-none-any.whl' is not consistent with package name 'gamma' "
        "(at packages[0].wheels[0])",
        REGENERATE,
    ),
    "pylock.wheel-version-mismatch.toml": (
        ": Version in 'gamma-2.0-py3-none-any.whl' is not consistent with package version "
        "'1.0' (at packages[0].wheels[0])",
        REGENERATE,
    ),
    "pylock.no-source.toml": (
        ": Exactly one of vcs, directory, archive must be set if sdist and wheels are not set",
        REGENERATE,
    ),
    "pylock.empty-hashes.toml": (
        ": At least one hash must be provided (at packages[0].wheels[0].hashes)",
        REGENERATE,
    ),
    "pylock.packages-not-array.toml": (
        ": Unexpected type str (expected Sequence) (at packages)",
        REGENERATE,
    ),
    "pylock.not-utf8.toml": (": cannot read: 'utf-8' codec can't decode byte 0xe9", None),
}


@pytest.fixture
def venv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    target = fake_target(monkeypatch, tmp_path)
    FakeSite(target / "lib" / "python3.11" / "site-packages")("gamma", "1.0", requested=True)
    return target


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_invalid_pylock_exit_2(name: str, venv: Path) -> None:
    fragment, hint = ERRORS[name]
    path = PYLOCK / name
    result = invoke("check", str(path), "-p", str(venv))
    invalid = ": not a valid pylock file (PEP 751)" if hint == REGENERATE else ""
    assert_error(result, 2, f"error: {path}{invalid}{fragment}", hint=hint)
    assert result.stdout == ""


def test_path_outside_project_resolves_from_the_lock_file(venv: Path) -> None:
    """PEP 751: ``path`` is relative to the lock file; ``..`` climbing out is kept visible."""
    path = PYLOCK / "pylock.path-outside.toml"
    lock = read_lock(path)
    gamma = lock.get("gamma")
    assert gamma is not None
    outside = (BAD.parent / "outside" / "gamma-1.0.tar.gz").resolve()
    assert gamma.origin.kind == "archive"
    assert gamma.origin.url == outside.as_uri()
    result = invoke("check", str(path), "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 1  # installed from the index, locked from that archive
    assert "gamma" in result.stdout


def test_huge_pylock(venv: Path, tmp_path: Path) -> None:
    """A 1 MB lock of 5,000 packages is read and compared (20,000: 4 MB, 2 s to read)."""
    digest = "41" * 32
    parts = ['lock-version = "1.0"\ncreated-by = "handmade"\n']
    parts += [
        f'\n[[packages]]\nname = "p{i}"\nversion = "1.0"\nwheels = [{{url = '
        f'"https://index.example/files/p{i}-1.0-py3-none-any.whl", hashes = {{sha256 = '
        f'"{digest}"}}}}]\n'
        for i in range(5_000)
    ]
    path = tmp_path / "pylock.huge.toml"
    path.write_text("".join(parts), encoding="utf-8")
    assert path.stat().st_size > 900_000
    result = invoke("check", str(path), "-p", str(venv), "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert result.stdout.count('"kind": "missing"') == 5_000


def test_every_pylock_case_is_tested() -> None:
    assert {p.name for p in PYLOCK.iterdir()} == {
        *ERRORS,
        "pylock.path-outside.toml",
        "pylock.paths-outside-restore.toml",
    }


def test_lock_paths_are_relative_to_lock_not_cwd(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    gamma = read_lock(PYLOCK / "pylock.path-outside.toml").get("gamma")
    assert gamma is not None
    assert gamma.origin.url == Path(BAD.parent / "outside" / "gamma-1.0.tar.gz").resolve().as_uri()
