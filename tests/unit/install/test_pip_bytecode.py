"""pip's bytecode kept in the cache and linked into later venvs (envsnap.install.pip_bytecode)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from envsnap.index.file_cache import FileCache
from envsnap.install.pip_bytecode import bytecode_tag, keep_pip_bytecode, link_pip_bytecode
from support.fake_site import make_environment

TAG = "cpython-312"
KEPT = "pip-bytecode"


def purelib_with_pip(root: Path) -> Path:
    """A venv's purelib holding pip's sources."""
    (root / "pip" / "_internal").mkdir(parents=True)
    (root / "pip" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pip" / "_internal" / "main.py").write_text("", encoding="utf-8")
    return root


def written_by_a_run(root: Path) -> Path:
    """What ``PYTHONPYCACHEPREFIX=root`` holds after pip ran: pip's bytecode and the stdlib's."""
    site = root / "work" / "app" / ".venv" / "lib" / "python3.12" / "site-packages"
    (site / "pip" / "_internal").mkdir(parents=True)
    (site / "pip" / f"__init__.{TAG}.pyc").write_bytes(b"init bytecode")
    (site / "pip" / "_internal" / f"main.{TAG}.pyc").write_bytes(b"main")
    (site / "pip" / "__init__.cpython-38.pyc").write_bytes(b"other python")
    (site / "other").mkdir()
    (site / "other" / f"mod.{TAG}.pyc").write_bytes(b"not pip")
    stdlib = root / "opt" / "python" / "lib" / "python3.12"
    stdlib.mkdir(parents=True)
    (stdlib / f"os.{TAG}.pyc").write_bytes(b"stdlib")
    return root


@pytest.fixture
def cache(tmp_path: Path) -> FileCache:
    return FileCache(tmp_path / "cache")


ENTRY = Path("/cache/unpacked/sha256/ab/ab12")


def test_kept_bytecode_is_linked_into_the_next_venv(tmp_path: Path, cache: FileCache) -> None:
    keep_pip_bytecode(cache, ENTRY, written_by_a_run(tmp_path / "written"), TAG)
    kept = cache.root / KEPT / f"ab12-{TAG}"
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file()) == [
        "manifest.json",
        f"pip/__pycache__/__init__.{TAG}.pyc",
        f"pip/_internal/__pycache__/main.{TAG}.pyc",
    ]
    second = purelib_with_pip(tmp_path / "two")
    assert link_pip_bytecode(cache, ENTRY, second, TAG) is True
    linked = second / "pip" / "_internal" / "__pycache__" / f"main.{TAG}.pyc"
    assert linked.read_bytes() == b"main"
    assert linked.stat().st_ino == (kept / linked.relative_to(second)).stat().st_ino
    assert not (second / "pip" / "__pycache__" / "__init__.cpython-38.pyc").exists()


def test_nothing_kept_means_nothing_linked(tmp_path: Path, cache: FileCache) -> None:
    keep_pip_bytecode(cache, ENTRY, tmp_path / "empty", TAG)
    assert not (cache.root / KEPT).exists()
    second = purelib_with_pip(tmp_path / "two")
    assert link_pip_bytecode(cache, ENTRY, second, TAG) is False
    assert not list(second.rglob("__pycache__"))


def test_a_changed_kept_file_is_not_used(tmp_path: Path, cache: FileCache) -> None:
    """One file off its sha256: none is linked (the check writes the bytecode again)."""
    keep_pip_bytecode(cache, ENTRY, written_by_a_run(tmp_path / "written"), TAG)
    kept = cache.root / KEPT / f"ab12-{TAG}" / "pip" / "__pycache__" / f"__init__.{TAG}.pyc"
    kept.write_bytes(b"changed")
    second = purelib_with_pip(tmp_path / "two")
    assert link_pip_bytecode(cache, ENTRY, second, TAG) is False
    assert not list(second.rglob("*.pyc"))
    assert not (cache.root / KEPT / f"ab12-{TAG}").exists()  # the next check keeps a new copy


def test_a_manifest_naming_a_path_outside_is_not_used(tmp_path: Path, cache: FileCache) -> None:
    kept = cache.root / KEPT / f"ab12-{TAG}"
    kept.mkdir(parents=True)
    (kept / "manifest.json").write_text(json.dumps([["../../evil.pyc", "0" * 64]]))
    second = purelib_with_pip(tmp_path / "two")
    assert link_pip_bytecode(cache, ENTRY, second, TAG) is False
    assert not (tmp_path / "evil.pyc").exists()


def test_kept_bytecode_is_not_replaced(tmp_path: Path, cache: FileCache) -> None:
    keep_pip_bytecode(cache, ENTRY, written_by_a_run(tmp_path / "written"), TAG)
    other = written_by_a_run(tmp_path / "other")
    next(other.rglob(f"__init__.{TAG}.pyc")).write_bytes(b"newer")
    keep_pip_bytecode(cache, ENTRY, other, TAG)
    kept = cache.root / KEPT / f"ab12-{TAG}" / "pip" / "__pycache__" / f"__init__.{TAG}.pyc"
    assert kept.read_bytes() == b"init bytecode"


@pytest.mark.parametrize(
    ("implementation", "version", "expected"),
    [("CPython", (3, 12, 1), "cpython-312"), ("CPython", (3, 8, 18), "cpython-38"),
     ("CPython", (3, 7, 16), None), ("PyPy", (3, 10, 14), None)],
)  # fmt: skip
def test_bytecode_tag(
    tmp_path: Path, implementation: str, version: tuple[int, int, int], expected: str | None
) -> None:
    environment = dataclasses.replace(
        make_environment(tmp_path, python_version=version), implementation=implementation
    )
    assert bytecode_tag(environment) == expected
