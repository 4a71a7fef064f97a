"""Seeding pip: the newest wheel at hand that the venv's Python supports, its own scripts."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from packaging.version import Version

from envsnap.errors import OperationError
from envsnap.index.file_cache import FileCache, hash_file
from envsnap.install.pip_seed import (
    choose_pip_wheel,
    pip_console_scripts,
    pip_wheel_job,
    register_pip_wheel,
)
from envsnap.install.wheels import unpack_wheel
from support.fake_site import make_environment
from support.wheels import build_wheel

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.environment.target import TargetEnvironment

ENTRY_POINTS = (
    "[console_scripts]\n"
    "pip = pip._internal.cli.main:main\n"
    "pip3 = pip._internal.cli.main:main\n"
    "pip3.9 = pip._internal.cli.main:main\n"
)


def pip_wheel(dest: Path, version: str, requires_python: str | None) -> Path:
    return build_wheel(
        dest,
        "pip",
        version,
        requires_python=requires_python,
        files={
            "pip/__init__.py": f"__version__ = {version!r}\n",
            f"pip-{version}.dist-info/entry_points.txt": ENTRY_POINTS,
        },
    )


def environment(tmp_path: Path, version: tuple[int, int, int]) -> TargetEnvironment:
    env = make_environment(tmp_path / "venv" / "site-packages", python_version=version)
    return replace(env, base_prefix=tmp_path / "base")


def test_console_scripts_are_rewritten_for_the_venvs_python() -> None:
    assert pip_console_scripts(ENTRY_POINTS, (3, 8, 18)) == [
        "pip = pip._internal.cli.main:main",
        "pip3 = pip._internal.cli.main:main",
        "pip3.8 = pip._internal.cli.main:main",
    ]
    # an old pip's own target (pip 18: pip._internal:main), read from its file
    old = "[console_scripts]\npip = pip._internal:main\npip3 = pip._internal:main\n"
    assert pip_console_scripts(old, (3, 13, 0))[-1] == "pip3.13 = pip._internal:main"
    with pytest.raises(OperationError) as info:
        pip_console_scripts("[console_scripts]\nother = x:y\n", (3, 8, 0))
    assert info.value.message == (
        "the pip wheel declares no `pip` console script in its entry_points.txt"
    )


def test_the_newest_wheel_the_venvs_python_supports_wins(tmp_path: Path) -> None:
    bundled = tmp_path / "base" / "lib" / "python3.8" / "ensurepip" / "_bundled"
    pip_wheel(bundled, "22.0.4", ">=3.7")
    pip_wheel(bundled, "23.0.1", ">=3.7")
    cache = FileCache(tmp_path / "cache")
    env38 = environment(tmp_path, (3, 8, 18))
    chosen = choose_pip_wheel(env38, cache)
    assert (chosen.version, chosen.source) == (
        Version("23.0.1"),
        f"ensurepip of {tmp_path / 'base'}",
    )
    # a newer pip in the cache that needs Python >= 3.10 is not for 3.8 ...
    newer = pip_wheel(tmp_path / "elsewhere", "26.0", ">=3.10")
    job = pip_wheel_job(chosen, cache, (3, 8, 18))  # unpacked into the cache, checked
    assert (job.unpacked / "pip" / "__init__.py").read_text() == "__version__ = '23.0.1'\n"
    assert job.console_scripts == (
        "pip = pip._internal.cli.main:main",
        "pip3 = pip._internal.cli.main:main",
        "pip3.8 = pip._internal.cli.main:main",
    )
    sha = hash_file(newer)[0]
    cache.add_unpacked(sha, lambda dest: unpack_wheel(newer, newer.name, dest))
    register_pip_wheel(cache, sha, newer.name)
    assert choose_pip_wheel(env38, cache).version == Version("23.0.1")
    # ... but it is for 3.12, whose bundled wheel is older
    bundled12 = tmp_path / "base" / "lib" / "python3.12" / "ensurepip" / "_bundled"
    pip_wheel(bundled12, "23.2.1", ">=3.7")
    chosen = choose_pip_wheel(environment(tmp_path, (3, 12, 1)), cache)
    assert (chosen.version, chosen.source, chosen.filename) == (
        Version("26.0"),
        "cache",
        "pip-26.0-py3-none-any.whl",
    )


def test_no_wheel_for_that_python_names_what_was_found(tmp_path: Path) -> None:
    bundled = tmp_path / "base" / "lib" / "python3.8" / "ensurepip" / "_bundled"
    pip_wheel(bundled, "26.0", ">=3.10")
    with pytest.raises(OperationError) as info:
        choose_pip_wheel(environment(tmp_path, (3, 8, 18)), FileCache(tmp_path / "cache"))
    assert info.value.message == (
        "no pip wheel at hand supports Python 3.8.18 (pip wheels found: 26.0)"
    )
    assert info.value.hint == (
        "restore with with_pip=False, or install the ensurepip module of that Python "
        "(on Debian and Ubuntu: the python3.X-venv package)"
    )
    assert info.value.exit_code == 3
