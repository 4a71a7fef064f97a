"""Which files a bundle needs: targets, PEP 751 selection per package, pip's choice per pin."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock, PylockSelectError
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.bundle.select import for_pylock, pick_file, select_one
from envsnap.bundle.targets import (
    BundleTarget,
    check_covers,
    lock_targets,
    named_targets,
)
from envsnap.errors import InputError
from envsnap.index.distfile import DistFile, ProjectFiles
from envsnap.lock import Lock

LINUX = named_targets(Lock(path=None, format="pylock", packages=()), "3.12", ["linux-x86_64"])[0]
MAC = named_targets(Lock(path=None, format="pylock", packages=()), "3.12", ["macos-arm64"])[0]


def lock_of(pylock: Pylock | None = None, **fields: Any) -> Lock:
    return Lock(path=Path("pylock.toml"), format="pylock", packages=(), pylock=pylock, **fields)


def test_named_targets_are_python_by_platform() -> None:
    lock = lock_of()
    found = named_targets(lock, "3.11-3.12", ["linux-x86_64", "windows-amd64"])
    assert [t.name for t in found] == [
        "cp311-linux-x86_64",
        "cp311-windows-amd64",
        "cp312-linux-x86_64",
        "cp312-windows-amd64",
    ]
    assert found[0].marker == (
        "python_version == '3.11' and sys_platform == 'linux' and platform_machine == 'x86_64'"
    )
    assert found[1].tags[0] == Tag("cp311", "cp311", "win_amd64")


def test_without_a_version_the_lock_s_python_is_taken() -> None:
    recorded = named_targets(lock_of(python_version="3.10.4"), None, ["macos-arm64"])
    assert [t.name for t in recorded] == ["cp310-macos-arm64"]
    ranged = named_targets(lock_of(requires_python=SpecifierSet(">=3.12")), None, ["linux-x86_64"])
    assert [t.name for t in ranged] == [
        "cp312-linux-x86_64",
        "cp313-linux-x86_64",
        "cp314-linux-x86_64",
    ]
    with pytest.raises(InputError) as info:
        named_targets(lock_of(), None, ["linux-x86_64"])
    assert info.value.message == "pylock.toml: the lock records no Python version to bundle for"
    assert info.value.hint == "name it with --python-version 3.12"


def test_without_a_platform_this_machine_s_is_taken() -> None:
    (found,) = named_targets(lock_of(), "3.12", [])
    assert found.environment["sys_platform"] == sys.platform
    assert found.environment["platform_machine"].lower() == platform.machine().lower()


def test_unknown_targets_are_refused() -> None:
    with pytest.raises(InputError) as info:
        named_targets(lock_of(), "3.12", ["amiga-m68k"])
    assert info.value.message == "unknown platform 'amiga-m68k'"
    with pytest.raises(InputError) as info:
        named_targets(lock_of(), "2.7", ["linux-x86_64"])
    assert info.value.message == "--python-version 2.7: envsnap targets CPython 3.8-3.14 only"


def test_a_portable_pylock_names_its_targets() -> None:
    pylock = Pylock.from_dict(
        {
            "lock-version": "1.0",
            "created-by": "envsnap",
            "packages": [],
            "tool": {"envsnap": {"targets": ["cp312-linux-x86_64", "cp313-macos-arm64"]}},
        }
    )
    found = lock_targets(lock_of(pylock))
    assert found is not None
    assert [t.name for t in found] == ["cp312-linux-x86_64", "cp313-macos-arm64"]
    assert lock_targets(lock_of(Pylock.from_dict({**pylock.to_dict(), "tool": {}}))) is None
    odd = Pylock.from_dict({**pylock.to_dict(), "tool": {"envsnap": {"targets": ["pp39-x"]}}})
    with pytest.raises(InputError) as info:
        lock_targets(lock_of(odd))
    assert info.value.message == (
        "pylock.toml: target 'pp39-x' is not one envsnap names (cp312-linux-x86_64)"
    )


def test_a_portable_requirements_file_names_its_targets(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# envsnap freeze --portable\n# requires-python: >=3.11\n# python: 3.11, 3.12\n"
        "# platforms: linux-aarch64\n# top-level: solo\nsolo==1.0\n",
        encoding="utf-8",
    )
    lock = Lock(
        path=path, format="requirements", packages=(), requires_python=SpecifierSet(">=3.11")
    )
    found = lock_targets(lock)
    assert found is not None
    assert [t.name for t in found] == ["cp311-linux-aarch64", "cp312-linux-aarch64"]


WHEEL_LINUX = "native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
WHEEL_ANY = "native-1.0-py3-none-any.whl"


def native(*wheels: str, sdist: bool = False, **package: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "native",
        "version": "1.0",
        "wheels": [
            {"name": w, "url": f"https://h/{w}", "hashes": {"sha256": "aa"}} for w in wheels
        ],
    }
    if sdist:
        entry["sdist"] = {
            "name": "native-1.0.tar.gz",
            "url": "https://h/n.tar.gz",
            "hashes": {"sha256": "bb"},
        }
    return entry | package


def pylock_of(*packages: dict[str, Any], **top: Any) -> Pylock:
    return Pylock.from_dict(
        {"lock-version": "1.0", "created-by": "t", "packages": list(packages), **top}
    )


def test_select_one_picks_the_wheel_pep_751_installs() -> None:
    lock = pylock_of(native(WHEEL_ANY, WHEEL_LINUX))
    assert select_one(lock, lock.packages[0], LINUX).filename == WHEEL_LINUX
    assert select_one(lock, lock.packages[0], MAC).filename == WHEEL_ANY


def test_select_one_falls_back_to_the_sdist_and_fails_without_one() -> None:
    with_sdist = pylock_of(native(WHEEL_LINUX, sdist=True))
    assert select_one(with_sdist, with_sdist.packages[0], MAC) is with_sdist.packages[0].sdist
    bare = pylock_of(native(WHEEL_LINUX))
    with pytest.raises(PylockSelectError, match="No wheel found matching the provided tags"):
        select_one(bare, bare.packages[0], MAC)


def test_select_one_skips_a_package_whose_marker_is_false_and_counts_every_extra() -> None:
    lock = pylock_of(
        native(WHEEL_ANY, marker="sys_platform == 'win32'"),
        {
            **native(WHEEL_ANY),
            "name": "extra-only",
            "wheels": [
                {
                    "name": "extra_only-1.0-py3-none-any.whl",
                    "url": "https://h/e.whl",
                    "hashes": {"sha256": "cc"},
                }
            ],
            "marker": "'fast' in extras",
        },
        extras=["fast"],
    )
    assert select_one(lock, lock.packages[0], LINUX) is None
    assert select_one(lock, lock.packages[1], LINUX) is not None


def test_check_covers_refuses_a_target_outside_environments_or_requires_python() -> None:
    lock = pylock_of(
        native(WHEEL_ANY),
        environments=["sys_platform == 'linux'"],
        **{"requires-python": ">=3.12"},
    )
    check_covers(lock_of(lock), LINUX)
    with pytest.raises(InputError) as info:
        check_covers(lock_of(lock), MAC)
    assert info.value.message == (
        'pylock.toml: its environments (sys_platform == "linux") leave out cp312-macos-arm64'
    )
    old = named_targets(lock_of(), "3.11", ["linux-x86_64"])[0]
    with pytest.raises(InputError) as info:
        check_covers(lock_of(lock), old)
    assert info.value.message == "pylock.toml: requires-python >=3.12 leaves out cp311-linux-x86_64"


def files(*names: str) -> ProjectFiles:
    return ProjectFiles(
        name=canonicalize_name("native"),
        version=Version("1.0"),
        files=tuple(
            DistFile(filename=n, hashes={"sha256": f"{i:02x}" * 32}) for i, n in enumerate(names)
        ),
    )


def test_pick_file_is_pip_s_choice() -> None:
    found = files(WHEEL_ANY, WHEEL_LINUX, "native-1.0.tar.gz", "native-1.0.zip")
    assert pick_file(found, LINUX.tags).filename == WHEEL_LINUX
    assert pick_file(found, MAC.tags).filename == WHEEL_ANY
    only_sdists = files(WHEEL_LINUX, "native-1.0.zip", "native-1.0.tar.gz")
    assert pick_file(only_sdists, MAC.tags).filename == "native-1.0.tar.gz"
    assert pick_file(files(WHEEL_LINUX), MAC.tags) is None


def test_pick_file_takes_only_files_whose_hash_the_lock_allows() -> None:
    found = files(WHEEL_ANY, WHEEL_LINUX)
    allowed = ("sha256:" + "00" * 32,)
    assert pick_file(found, LINUX.tags, allowed).filename == WHEEL_ANY
    assert pick_file(found, LINUX.tags, ("sha256:" + "ff" * 32,)) is None


def test_a_target_is_what_a_probe_gives_too() -> None:
    target = BundleTarget(
        name="x",
        environment={
            "python_version": "3.9",
            "sys_platform": "darwin",
            "platform_machine": "arm64",
        },
        tags=(),
    )
    assert target.marker == (
        "python_version == '3.9' and sys_platform == 'darwin' and platform_machine == 'arm64'"
    )


def test_an_entry_for_no_target_is_named_with_its_version_and_marker() -> None:
    old = native(WHEEL_ANY, marker="python_full_version < '3.10'")
    new = native("native-2.0-py3-none-any.whl", version="2.0")
    new["wheels"][0]["url"] = "https://h/native-2.0-py3-none-any.whl"
    planned = for_pylock(lock_of(pylock_of(old, new)), Path(), [LINUX])
    assert [sorted(by_key) for by_key in planned.chosen.values()] == [["wheels[0]"]]
    assert planned.notes == [
        'native 1.0 (where python_full_version < "3.10") is installed on none of the '
        "targets: left out of the bundle"
    ]
