"""The bundle format: what its lock promises, paths that stay inside, files checked by hash."""

from __future__ import annotations

import hashlib
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
from packaging.pylock import Pylock

from envsnap.bundle.members import (
    BundleSource,
    is_bundle,
    lock_file,
    member_path,
    read_members,
    verify,
)
from envsnap.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

WHEEL = b"not really a wheel, but bytes with a hash"
SHA = hashlib.sha256(WHEEL).hexdigest()


def pylock(*packages: dict[str, Any]) -> Pylock:
    return Pylock.from_dict(
        {"lock-version": "1.0", "created-by": "test", "packages": list(packages)}
    )


def package(name: str = "alpha", **entry: Any) -> dict[str, Any]:
    wheel = {"path": f"files/{name}-1.0-py3-none-any.whl", "hashes": {"sha256": SHA}} | entry
    return {"name": name, "version": "1.0", "wheels": [wheel]}


def test_is_bundle_is_a_directory_or_a_zip_name(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text("", encoding="utf-8")
    assert is_bundle(tmp_path)
    assert is_bundle(tmp_path / "web.zip")  # even before it exists: restore says it is missing
    assert is_bundle(tmp_path / "WEB.ZIP")
    assert not is_bundle(tmp_path / "pylock.toml")
    assert not is_bundle(tmp_path / "requirements.txt")


@pytest.mark.parametrize(
    "value", ["/etc/passwd", "../x.whl", "files/../../x.whl", "C:/x.whl", "a\\b.whl", ""]
)
def test_a_path_that_leaves_the_bundle_is_refused(value: str) -> None:
    with pytest.raises(InputError) as info:
        member_path(value, where="b/pylock.toml (at packages[0].wheels[0])")
    assert info.value.exit_code == 2
    assert info.value.message == (
        f"b/pylock.toml (at packages[0].wheels[0]): path {value!r} leaves the bundle; "
        "refused, nothing was built"
    )


def test_a_path_inside_is_normalized() -> None:
    assert member_path("./files//x.whl", where="here") == "files/x.whl"


def test_members_are_every_file_with_its_hash_and_size() -> None:
    lock = pylock(
        package("alpha", size=len(WHEEL)),
        {
            "name": "beta",
            "version": "2.0",
            "sdist": {"path": "files/beta-2.0.tar.gz", "hashes": {"sha512": "AB" * 64}},
        },
        package("alpha") | {"marker": "sys_platform == 'win32'"},  # one file, listed once
    )
    members = read_members(lock, "b/pylock.toml")
    assert [(m.path, m.name, str(m.version), m.algorithm, m.digest, m.size) for m in members] == [
        ("files/alpha-1.0-py3-none-any.whl", "alpha", "1.0", "sha256", SHA, len(WHEEL)),
        ("files/beta-2.0.tar.gz", "beta", "2.0", "sha512", "ab" * 64, None),
    ]


def test_a_file_with_a_url_only_makes_it_no_bundle() -> None:
    lock = pylock(
        {
            "name": "alpha",
            "version": "1.0",
            "wheels": [
                {"url": "https://host/alpha-1.0-py3-none-any.whl", "hashes": {"sha256": SHA}}
            ],
        }
    )
    with pytest.raises(InputError) as info:
        read_members(lock, "b/pylock.toml")
    assert info.value.message == (
        "b/pylock.toml (at packages[0].wheels[0]): alpha's file has a URL and no path: "
        "not a bundle; refused, nothing was built"
    )


def test_a_vcs_or_directory_package_makes_it_no_bundle() -> None:
    lock = pylock({"name": "app", "directory": {"path": "src/app"}})
    with pytest.raises(InputError) as info:
        read_members(lock, "b/pylock.toml")
    assert info.value.message == (
        "b/pylock.toml (at packages[0]): app comes from a VCS or a directory: not a bundle; "
        "refused, nothing was built"
    )


def test_a_file_without_a_known_hash_makes_it_no_bundle() -> None:
    lock = pylock(package("alpha", hashes={"md4-custom": "00"}))
    with pytest.raises(InputError) as info:
        read_members(lock, "b/pylock.toml")
    assert "the file has no hash envsnap can check: not a bundle" in info.value.message


def write_bundle_dir(root: Path, data: bytes = WHEEL) -> list[Any]:
    (root / "files").mkdir(parents=True)
    (root / "files" / "alpha-1.0-py3-none-any.whl").write_bytes(data)
    return read_members(pylock(package("alpha", size=len(WHEEL))), "b/pylock.toml")


def test_verify_reads_every_member_and_returns_their_size(tmp_path: Path) -> None:
    members = write_bundle_dir(tmp_path)
    with BundleSource(tmp_path) as source:
        assert verify(tmp_path, source, members) == len(WHEEL)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            WHEEL[:-1] + b"!",
            f"sha256 {hashlib.sha256(WHEEL[:-1] + b'!').hexdigest()}, the lock says {SHA}",
        ),
        (WHEEL + b"more", f"longer than the {len(WHEEL)} bytes the lock says"),
    ],
)
def test_a_changed_member_is_refused_naming_it(tmp_path: Path, data: bytes, problem: str) -> None:
    members = write_bundle_dir(tmp_path, data)
    with BundleSource(tmp_path) as source, pytest.raises(InputError) as info:
        verify(tmp_path, source, members)
    assert info.value.exit_code == 2
    assert info.value.message == (
        f"{tmp_path}: 1 of 1 file does not match its lock: "
        f"files/alpha-1.0-py3-none-any.whl: {problem}; refused, nothing was built"
    )


def test_a_missing_member_is_refused(tmp_path: Path) -> None:
    members = write_bundle_dir(tmp_path)
    (tmp_path / "files" / "alpha-1.0-py3-none-any.whl").unlink()
    with BundleSource(tmp_path) as source, pytest.raises(InputError) as info:
        verify(tmp_path, source, members)
    assert "files/alpha-1.0-py3-none-any.whl: not in the bundle" in info.value.message


def test_a_zip_member_with_a_changed_byte_fails_its_crc(tmp_path: Path) -> None:
    bundle = tmp_path / "b.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("files/alpha-1.0-py3-none-any.whl", WHEEL)
    raw = bundle.read_bytes()
    at = raw.index(WHEEL) + 3
    bundle.write_bytes(raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :])
    members = read_members(pylock(package("alpha")), "b/pylock.toml")
    with BundleSource(bundle) as source, pytest.raises(InputError) as info:
        verify(bundle, source, members)
    assert "files/alpha-1.0-py3-none-any.whl: damaged (Bad CRC-32" in info.value.message


def test_verify_unpacks_a_zip_while_it_checks(tmp_path: Path) -> None:
    bundle = tmp_path / "b.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("pylock.toml", "lock-version = '1.0'\n")
        archive.writestr("files/alpha-1.0-py3-none-any.whl", WHEEL)
    out = tmp_path / "out"
    out.mkdir()
    members = read_members(pylock(package("alpha")), "b/pylock.toml")
    with BundleSource(bundle) as source:
        assert lock_file(source, out) == out / "pylock.toml"
        verify(bundle, source, members, unpack_to=out)
    assert (out / "files" / "alpha-1.0-py3-none-any.whl").read_bytes() == WHEEL


def test_a_zip_without_a_lock_or_not_a_zip_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    with BundleSource(empty) as source, pytest.raises(InputError) as info:
        lock_file(source, tmp_path)
    assert info.value.message == f"{empty}: no pylock.toml at its top: not a bundle"
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"plain text")
    with pytest.raises(InputError) as info:
        BundleSource(junk)
    assert info.value.message == f"{junk}: not a readable zip file (File is not a zip file)"
    with pytest.raises(InputError) as info:
        BundleSource(tmp_path / "absent.zip")
    assert info.value.message == f"{tmp_path / 'absent.zip'}: no such bundle"
