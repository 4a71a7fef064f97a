"""direct.fetch (files checked, wheels unpacked as they come) and direct.wheel_requirements."""

from __future__ import annotations

import zipfile
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envsnap.distfile import DistFile
from envsnap.errors import OperationError
from envsnap.index.file_cache import FileCache
from envsnap.install.builtin import InstallPlan, fetch, wheel_requirements
from envsnap.install.wheels import unpack_wheel
from support.wheels import build_wheel, file_sha256

if TYPE_CHECKING:
    from pathlib import Path


def planned(name: str, filename: str, sha256: str, path: Path | None = None) -> DistFile:
    return DistFile(
        name=canonicalize_name(name), filename=filename, hashes={"sha256": sha256}, path=path
    )


def local_plan(*files: Path) -> InstallPlan:
    """A plan of local files (no index): ``name-version...`` names each package."""
    listed = tuple(planned(f.name.split("-")[0], f.name, file_sha256(f), path=f) for f in files)
    return InstallPlan(
        files=listed, pip_lines=(), names=frozenset(p.name for p in listed if p.name)
    )


def test_fetch_unpacks_each_wheel_into_the_cache_and_leaves_sdists(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    wheel = build_wheel(tmp_path / "w", "alpha", "1.0")
    sdist = tmp_path / "w" / "kappa-1.0.tar.gz"
    sdist.write_bytes(b"not read: pip builds it")
    found = fetch(local_plan(wheel, sdist), cache)
    assert found == {file_sha256(wheel): wheel, file_sha256(sdist): sdist}
    entry = cache.get_unpacked(file_sha256(wheel))
    assert entry is not None
    assert sorted(p.name for p in entry.iterdir() if not p.name.startswith(".")) == [
        "alpha",
        "alpha-1.0.dist-info",
    ]
    assert cache.get_unpacked(file_sha256(sdist)) is None


def test_fetch_refuses_a_wheel_that_does_not_unpack_and_installs_nothing(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    good = build_wheel(tmp_path / "w", "alpha", "1.0")
    broken = tmp_path / "w" / "broken-1.0-py3-none-any.whl"
    with zipfile.ZipFile(broken, "w") as archive:  # no RECORD: not a wheel envsnap installs
        archive.writestr("broken-1.0.dist-info/METADATA", "Name: broken\nVersion: 1.0\n")
    with pytest.raises(OperationError) as info:
        fetch(local_plan(good, broken), cache)
    assert info.value.exit_code == 3
    assert info.value.message.startswith(f"{broken.name}: not a valid wheel"), info.value.message
    assert cache.get_unpacked(file_sha256(broken)) is None


def test_requirements_from_the_wheel_file_the_unpacked_entry_or_none(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    fetched_wheel = build_wheel(
        tmp_path / "w", "alpha", "1.0", requires=["beta>=1"], extras={"fast": ["epsilon"]}
    )
    cached_wheel = build_wheel(tmp_path / "w", "beta", "1.0", requires=["gamma"])
    cached_sha = file_sha256(cached_wheel)
    cache.add_unpacked(cached_sha, lambda dest: unpack_wheel(cached_wheel, cached_wheel.name, dest))
    broken = tmp_path / "w" / "broken-1.0-py3-none-any.whl"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("broken-1.0.dist-info/METADATA", "Name: broken\nRequires-Dist: a b c\n")
    plan = InstallPlan(
        files=(
            planned("alpha", fetched_wheel.name, file_sha256(fetched_wheel)),
            planned("beta", cached_wheel.name, cached_sha),
            planned("kappa", "kappa-1.0.tar.gz", "0" * 64),
            planned("broken", broken.name, file_sha256(broken)),
        ),
        pip_lines=("vcs-thing @ git+https://example.invalid/x@" + "1" * 40,),
        names=frozenset({"alpha", "beta", "kappa", "broken", "vcs-thing"}),
    )
    fetched = {file_sha256(fetched_wheel): fetched_wheel, file_sha256(broken): broken}
    found = wheel_requirements(plan, cache, fetched)
    assert found == {
        "alpha": [Requirement("beta>=1"), Requirement('epsilon; extra == "fast"')],
        "beta": [Requirement("gamma")],
        "kappa": None,  # an sdist: pip builds it
        "broken": None,  # invalid Requires-Dist: pip's resolver decides
        "vcs-thing": None,
    }
