"""Issue 15 items 1, 2 and 6 (unpacking): a wheel writes only its own files, inside the venv.

Crafted wheels go through the real code path (:func:`envsnap.install.wheels.unpack_wheel`
into a :class:`~envsnap.index.file_cache.FileCache`, then :func:`install_unpacked` into a
venv, and once a whole ``envsnap restore`` from a loopback index). The venv's
base interpreter is a *copy* of the running one (its ``lib`` linked), so an
install that wrote through the venv's ``bin/python3`` symlink would change it.
Every test hashes the base interpreter's directory and the cache before and
after.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envsnap.errors import OperationError
from envsnap.index.file_cache import FileCache, hash_file
from envsnap.install import wheels
from envsnap.install.wheels import WheelJob, install_unpacked, unpack_wheel, unpacked_intact
from support.index import serve_index
from support.venvs import run_envsnap

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

MAJOR_MINOR = "{}.{}".format(*sys.version_info[:2])


# --------------------------------------------------------------------------- helpers


def craft_wheel(
    dest: Path,
    name: str,
    members: Sequence[tuple[str, bytes]],
    *,
    record: Sequence[str] | None = None,
    version: str = "1.0",
) -> Path:
    """Write a wheel with exactly ``members`` (duplicates and odd paths kept as given).

    ``RECORD`` lists every member with its true hash and size unless
    ``record`` gives its rows instead.
    """
    info = f"{name}-{version}.dist-info"
    base = [
        (f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    everything = [*members, *base]
    if record is None:
        record = [f"{arc},{_record_hash(data)},{len(data)}" for arc, data in everything]
    text = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arc, data in [*everything, (f"{info}/RECORD", text.encode())]:
            item = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(item, data)
    return path


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def entry_points(*scripts: str) -> tuple[str, bytes]:
    """An ``entry_points.txt`` member of package ``alpha`` with these console scripts."""
    lines = "".join(f"{script} = alpha:main\n" for script in scripts)
    return ("alpha-1.0.dist-info/entry_points.txt", f"[console_scripts]\n{lines}".encode())


MODULE = ("alpha/__init__.py", b"def main():\n    pass\n")


def digests(*roots: Path) -> dict[str, str]:
    """Every file (sha256) and symlink (its target) under ``roots``, symlinks not followed."""
    found: dict[str, str] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in files + [d for d in dirs if Path(folder, d).is_symlink()]:
                path = Path(folder, name)
                if path.is_symlink():
                    found[str(path)] = f"-> {os.readlink(path)}"
                else:
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def base_python(tmp_path: Path) -> Path:
    """A copy of the running interpreter's executable, with its ``lib`` and ``include`` linked.

    A venv made from it links ``bin/python3`` to this copy, which a test may
    watch: the real interpreters are never at risk.
    """
    real = Path(os.path.realpath(sys.base_prefix))
    home = tmp_path / "base"
    (home / "bin").mkdir(parents=True)
    executable = home / "bin" / f"python{MAJOR_MINOR}"
    shutil.copy2(Path(os.path.realpath(sys.executable)), executable)
    for name in ("lib", "include"):
        (home / name).symlink_to(real / name)
    return executable


def make_venv_from(base: Path, path: Path) -> Path:
    """Create a venv (symlinks, no pip) from ``base`` and return its directory."""
    subprocess.run(
        [os.fspath(base), "-I", "-m", "venv", "--without-pip", "--symlinks", os.fspath(path)],
        check=True,
        capture_output=True,
    )
    return path


def scheme_of(venv: Path) -> dict[str, str]:
    paths = sysconfig.get_paths(vars={"base": os.fspath(venv), "platbase": os.fspath(venv)})
    keys = ("purelib", "platlib", "scripts", "data")
    scheme = {key: paths[key] for key in keys}
    scheme["headers"] = os.fspath(venv / "include" / "site" / f"python{MAJOR_MINOR}")
    return scheme


def install_into(venv: Path, cache: FileCache, wheel: Path) -> Path:
    """Unpack ``wheel`` into the cache and install it into ``venv``; return the cache entry."""
    digest = hash_file(wheel)[0]
    entry = cache.add_unpacked(digest, lambda dest: unpack_wheel(wheel, wheel.name, dest))
    install_unpacked(
        WheelJob(filename=wheel.name, unpacked=entry),
        scheme_of(venv),
        interpreter=venv / "bin" / "python",
    )
    return entry


@pytest.fixture
def venv(tmp_path: Path, base_python: Path) -> Path:
    return make_venv_from(base_python, tmp_path / "venv")


# --------------------------------------------------------------------------- item 1


@pytest.mark.parametrize(
    ("members", "path", "scheme", "what", "replaced"),
    [
        ([MODULE, entry_points("python3")], "python3", "scripts", "interpreter", "bin/python3"),
        (
            [MODULE, ("alpha-1.0.data/scripts/python", b"#!python\nprint('owned')\n")],
            "python",
            "scripts",
            "interpreter",
            "bin/python",
        ),
        (
            [MODULE, ("alpha-1.0.data/data/bin/python" + MAJOR_MINOR, b"owned\n")],
            "bin/python" + MAJOR_MINOR,
            "data",
            "interpreter",
            "bin/python" + MAJOR_MINOR,
        ),
        (
            [MODULE, ("alpha-1.0.data/scripts/activate", b"echo owned\n")],
            "activate",
            "scripts",
            "activation script",
            "bin/activate",
        ),
        (
            [MODULE, ("alpha-1.0.data/scripts/Activate.ps1", b"owned\n")],
            "Activate.ps1",
            "scripts",
            "activation script",
            "bin/Activate.ps1",
        ),
        (
            [MODULE, ("alpha-1.0.data/data/pyvenv.cfg", b"home = /tmp\n")],
            "pyvenv.cfg",
            "data",
            "configuration",
            "pyvenv.cfg",
        ),
    ],
    ids=[
        "console-script-python3",
        "data-scripts-python",
        "data-bin-python3.X",
        "activate",
        "Activate.ps1",
        "pyvenv.cfg",
    ],
)
def test_a_wheel_cannot_replace_the_venvs_interpreter_or_activation(
    tmp_path: Path,
    venv: Path,
    base_python: Path,
    members: list[tuple[str, bytes]],
    path: str,
    scheme: str,
    what: str,
    replaced: str,
) -> None:
    wheel = craft_wheel(tmp_path / "wheels", "alpha", members)
    cache = FileCache(tmp_path / "cache")
    venv_before = digests(venv)
    base_before = digests(base_python.parent.parent)
    with pytest.raises(OperationError) as info:
        install_into(venv, cache, wheel)
    assert info.value.exit_code == 3
    assert info.value.message == (
        f"{wheel.name}: refused {path!r} ({scheme}): it would replace the venv's {what} "
        f"{venv / replaced}"
    )
    assert digests(base_python.parent.parent) == base_before
    after = digests(venv)
    assert {k: v for k, v in after.items() if k in venv_before} == venv_before
    assert subprocess.run([venv / "bin" / "python3", "-c", "pass"], check=False).returncode == 0


def test_an_existing_symlink_is_replaced_not_followed(tmp_path: Path, venv: Path) -> None:
    """The mechanism behind item 1: every write is a new file renamed over the name."""
    outside = tmp_path / "outside"
    outside.write_bytes(b"someone else's file\n")
    site = Path(scheme_of(venv)["purelib"])
    (site / "alpha-1.0.dist-info").mkdir()
    planted = [venv / "bin" / "tool", site / "alpha" / "__init__.py"]
    planted.append(site / "alpha-1.0.dist-info" / "INSTALLER")
    for path in planted:
        path.parent.mkdir(exist_ok=True)
        path.symlink_to(outside)
    wheel = craft_wheel(
        tmp_path / "wheels",
        "alpha",
        [MODULE, ("alpha-1.0.data/scripts/tool", b"#!python\nprint('tool')\n")],
    )
    install_into(venv, FileCache(tmp_path / "cache"), wheel)
    assert outside.read_bytes() == b"someone else's file\n"
    assert [p.is_symlink() for p in planted] == [False, False, False]
    assert (venv / "bin" / "tool").read_bytes().endswith(b"\nprint('tool')\n")
    assert (site / "alpha-1.0.dist-info" / "INSTALLER").read_bytes() == b"envsnap\n"
    assert list(venv.rglob(".envsnap-*")) == []


def test_a_full_restore_refuses_a_python3_script_and_keeps_the_base(
    tmp_path: Path, base_python: Path
) -> None:
    """The attack as found: ``envsnap restore`` (direct backend) of a lock naming the wheel."""
    files = tmp_path / "files"
    wheel = craft_wheel(files, "alpha", [MODULE, entry_points("python3")])
    digest = hash_file(wheel)[0]
    cache = tmp_path / "cache"
    base_before = digests(base_python.parent.parent)
    with serve_index(files) as index:
        url = f"{index.removesuffix('simple/')}files/{wheel.name}"
        wheel_line = f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}]\n'
        (tmp_path / "pylock.toml").write_text(
            'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "alpha"\n'
            f'version = "1.0"\n{wheel_line}',
            encoding="utf-8",
        )
        done = run_envsnap(
            "restore",
            "pylock.toml",
            "--venv",
            "target",
            "--python",
            os.fspath(base_python),
            "--without-pip",
            cwd=tmp_path,
            env={"ENVSNAP_CACHE_DIR": os.fspath(cache)},
        )
    assert done.returncode == 3, done.stderr
    assert (
        f"error: {wheel.name}: refused 'python3' (scripts): it would replace the venv's "
        f"interpreter {tmp_path / 'target' / 'bin' / 'python3'}" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert digests(base_python.parent.parent) == base_before
    assert not (tmp_path / "target").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "cache", "files", "pylock.toml"]


# --------------------------------------------------------------------------- item 2


def test_a_second_member_naming_the_same_path_is_refused(tmp_path: Path) -> None:
    wheel = craft_wheel(
        tmp_path / "wheels", "alpha", [MODULE, ("alpha/./__init__.py", b"print('owned')\n")]
    )
    cache = FileCache(tmp_path / "cache")
    with pytest.raises(OperationError) as info:
        install_into(tmp_path / "unused", cache, wheel)
    assert info.value.message == (
        f"{wheel.name}: not a valid wheel (member 'alpha/./__init__.py' names "
        "alpha/__init__.py, which another member names)"
    )
    assert cache.get_unpacked(hash_file(wheel)[0]) is None
    assert [p.name for p in cache.unpacked_path(hash_file(wheel)[0]).parent.iterdir()] == []


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("../escape.py", "member '../escape.py' would be written outside the venv"),
        (
            "alpha/../../escape.py",
            "member 'alpha/../../escape.py' would be written outside the venv",
        ),
        ("/tmp/escape.py", "member '/tmp/escape.py' has an unsafe path"),
        ("alpha\\..\\..\\escape.py", "member 'alpha\\\\..\\\\..\\\\escape.py' has an unsafe path"),
        ("C:/escape.py", "member 'C:/escape.py' has an unsafe path"),
    ],
)
def test_unsafe_member_paths_are_refused(tmp_path: Path, member: str, message: str) -> None:
    wheel = craft_wheel(tmp_path / "wheels", "alpha", [MODULE, (member, b"owned\n")])
    work = tmp_path / "work"
    work.mkdir()
    before = digests(tmp_path)
    with pytest.raises(OperationError) as info:
        unpack_wheel(wheel, wheel.name, work / "dest")
    assert info.value.message == f"{wheel.name}: not a valid wheel ({message})"
    assert digests(tmp_path) == before


def test_a_write_over_a_linked_file_never_changes_the_cache(tmp_path: Path, venv: Path) -> None:
    """The mechanism behind item 2: a written file replaces a hard link, a new inode.

    ``alpha``'s script is linked from the cache (no ``#!python`` to rewrite);
    ``beta``'s script of the same name is written (its shebang rewritten) over it.
    """
    cache = FileCache(tmp_path / "cache")
    script = b"#!/bin/sh\necho alpha\n"
    first = craft_wheel(
        tmp_path / "one", "alpha", [MODULE, ("alpha-1.0.data/scripts/tool", script)]
    )
    entry = install_into(venv, cache, first)
    assert (venv / "bin" / "tool").stat().st_ino == (
        entry / "alpha-1.0.data/scripts/tool"
    ).stat().st_ino
    other = make_venv_from(Path(os.path.realpath(venv / "bin" / "python3")), tmp_path / "other")
    install_into(other, cache, first)
    cache_before = digests(cache.root)
    other_before = digests(other)
    second = craft_wheel(
        tmp_path / "two",
        "beta",
        [("beta/__init__.py", b""), ("beta-1.0.data/scripts/tool", b"#!python\nprint('beta')\n")],
    )
    install_into(venv, cache, second)
    assert (venv / "bin" / "tool").read_bytes().endswith(b"\nprint('beta')\n")
    assert (entry / "alpha-1.0.data" / "scripts" / "tool").read_bytes() == script
    assert {k: v for k, v in digests(cache.root).items() if k in cache_before} == cache_before
    assert digests(other) == other_before


def test_a_cache_entry_holding_a_symlink_is_not_reused(tmp_path: Path) -> None:
    """A member swapped for a symlink (same target content) would be linked as a symlink."""
    wheel = craft_wheel(tmp_path / "wheels", "alpha", [MODULE])
    cache = FileCache(tmp_path / "cache")
    entry = cache.add_unpacked(hash_file(wheel)[0], lambda d: unpack_wheel(wheel, wheel.name, d))
    assert unpacked_intact(entry)
    outside = tmp_path / "outside.py"
    outside.write_bytes(MODULE[1])
    (entry / "alpha" / "__init__.py").unlink()
    (entry / "alpha" / "__init__.py").symlink_to(outside)
    assert not unpacked_intact(entry)


def test_a_cache_entry_edited_in_place_is_not_reused(tmp_path: Path) -> None:
    """Same size, mtime put back: the re-hash still sees the edit; a missing member too."""
    wheel = craft_wheel(tmp_path / "wheels", "alpha", [MODULE])
    cache = FileCache(tmp_path / "cache")
    entry = cache.add_unpacked(hash_file(wheel)[0], lambda d: unpack_wheel(wheel, wheel.name, d))
    member = entry / "alpha" / "__init__.py"
    before = member.stat()
    edited = bytes([member.read_bytes()[0] ^ 1]) + member.read_bytes()[1:]
    with member.open("r+b") as handle:  # in place, as through a hard link in a venv
        handle.write(edited)
    os.utime(member, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert member.stat().st_size == before.st_size
    assert not unpacked_intact(entry)
    member.unlink()
    assert not unpacked_intact(entry)


def test_metadata_envsnap_writes_replaces_the_wheels_own(tmp_path: Path, venv: Path) -> None:
    """A wheel that ships ``INSTALLER`` gets envsnap's (as pip does), written once."""
    wheel = craft_wheel(
        tmp_path / "wheels", "alpha", [MODULE, ("alpha-1.0.dist-info/INSTALLER", b"other\n")]
    )
    entry = install_into(venv, FileCache(tmp_path / "cache"), wheel)
    info = Path(scheme_of(venv)["purelib"]) / "alpha-1.0.dist-info"
    assert (info / "INSTALLER").read_bytes() == b"envsnap\n"
    assert (entry / "alpha-1.0.dist-info" / "INSTALLER").read_bytes() == b"other\n"
    record = (info / "RECORD").read_text().splitlines()
    assert [row.split(",")[0] for row in record].count("alpha-1.0.dist-info/INSTALLER") == 1


def test_a_wheel_writing_one_script_twice_is_refused(tmp_path: Path, venv: Path) -> None:
    """The install side of item 2: a console script and a ``.data/scripts`` file of one name."""
    wheel = craft_wheel(
        tmp_path / "wheels",
        "alpha",
        [MODULE, entry_points("tool"), ("alpha-1.0.data/scripts/tool", b"#!python\n")],
    )
    with pytest.raises(OperationError) as info:
        install_into(venv, FileCache(tmp_path / "cache"), wheel)
    assert info.value.message.startswith(f"{wheel.name}: refused 'tool' (scripts): the wheel ")
    assert info.value.message.endswith(f"already wrote {venv / 'bin' / 'tool'}")


# --------------------------------------------------------------------------- item 6 (unpacking)


def _bomb(tmp_path: Path, size: int, *, listed_size: int | None) -> Path:
    """A wheel with ``size`` zero bytes in one member, RECORD giving ``listed_size``."""
    data = bytes(size)
    record = [f"alpha/__init__.py,{_record_hash(MODULE[1])},{len(MODULE[1])}"]
    if listed_size is not None:
        record.append(f"alpha/zeros.bin,{_record_hash(data)},{listed_size}")
    meta = b"Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n"
    wheel_text = b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record += [
        f"alpha-1.0.dist-info/METADATA,{_record_hash(meta)},{len(meta)}",
        f"alpha-1.0.dist-info/WHEEL,{_record_hash(wheel_text)},{len(wheel_text)}",
    ]
    return craft_wheel(
        tmp_path / "wheels", "alpha", [MODULE, ("alpha/zeros.bin", data)], record=record
    )


def test_a_member_larger_than_record_says_is_refused_before_it_is_written(tmp_path: Path) -> None:
    wheel = _bomb(tmp_path, 50 << 20, listed_size=100)
    assert wheel.stat().st_size < 200_000
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(OperationError) as info:
        unpack_wheel(wheel, wheel.name, dest)
    assert info.value.message == (
        f"{wheel.name}: not a valid wheel (alpha/zeros.bin does not match its RECORD size)"
    )
    assert not (dest / "alpha" / "zeros.bin").exists()


def test_a_member_not_in_record_is_refused_before_it_is_written(tmp_path: Path) -> None:
    wheel = _bomb(tmp_path, 50 << 20, listed_size=None)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(OperationError) as info:
        unpack_wheel(wheel, wheel.name, dest)
    assert info.value.message == (
        f"{wheel.name}: not a valid wheel (alpha/zeros.bin is not listed in RECORD)"
    )
    assert not (dest / "alpha" / "zeros.bin").exists()


def test_the_total_unpacked_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wheels, "MAX_UNPACKED_BYTES", 1 << 20)
    wheel = _bomb(tmp_path, 5 << 20, listed_size=5 << 20)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(OperationError) as info:
        unpack_wheel(wheel, wheel.name, dest)
    assert info.value.message == (
        f"{wheel.name}: not a valid wheel (RECORD declares {(5 << 20) + 144} bytes, "
        f"more than {1 << 20})"
    )
    assert list(dest.iterdir()) == []


def test_a_member_without_a_recorded_size_stops_at_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wheels, "MAX_UNPACKED_BYTES", 1 << 20)
    data = bytes(5 << 20)
    wheel = _bomb(tmp_path, 5 << 20, listed_size=None)
    # RECORD lists the member without a size (the spec allows an empty field)
    with zipfile.ZipFile(wheel) as archive:
        record = archive.read("alpha-1.0.dist-info/RECORD").decode()
    rows = [*record.splitlines()[:-1], f"alpha/zeros.bin,{_record_hash(data)},"]
    wheel = craft_wheel(
        tmp_path / "sizeless", "alpha", [MODULE, ("alpha/zeros.bin", data)], record=rows
    )
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(OperationError) as info:
        unpack_wheel(wheel, wheel.name, dest)
    assert info.value.message == (
        f"{wheel.name}: not a valid wheel (alpha/zeros.bin unpacks to more than "
        f"{(1 << 20) - len(MODULE[1])} bytes (its RECORD size, or what is left of the size limit))"
    )
    assert (dest / "alpha" / "zeros.bin").stat().st_size <= 1 << 20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs (needs root: mounting is the honest way to get ENOSPC)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", os.fspath(mount)],
        check=False,
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip("mounting a 1 MB tmpfs needs root (CAP_SYS_ADMIN)")
    yield mount
    subprocess.run(["umount", os.fspath(mount)], check=True)


def test_a_full_disk_while_unpacking_is_reported_as_such(tmp_path: Path, small_disk: Path) -> None:
    wheel = _bomb(tmp_path, 4 << 20, listed_size=4 << 20)
    cache = FileCache(small_disk / "cache")
    with pytest.raises(OperationError) as info:
        cache.add_unpacked(hash_file(wheel)[0], lambda dest: unpack_wheel(wheel, wheel.name, dest))
    assert info.value.exit_code == 3
    assert info.value.message == (
        f"{wheel.name}: cannot unpack it into {cache.unpacked_path(hash_file(wheel)[0]).parent}: "
        "no space left on device"
    )
    assert "regenerate" not in (info.value.hint or "")
    assert list(cache.unpacked_path(hash_file(wheel)[0]).parent.iterdir()) == []


def test_a_full_disk_while_unpacking_fails_a_restore_with_exit_3(
    tmp_path: Path, small_disk: Path
) -> None:
    """The same through ``envsnap restore``: the cache on a full disk, the wheel from an index."""
    files = tmp_path / "files"
    files.mkdir()
    wheel = _bomb(tmp_path, 4 << 20, listed_size=4 << 20)
    wheel = wheel.rename(files / wheel.name)
    digest = hash_file(wheel)[0]
    with serve_index(files) as index:
        url = f"{index.removesuffix('simple/')}files/{wheel.name}"
        wheel_line = f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}]\n'
        (tmp_path / "pylock.toml").write_text(
            'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "alpha"\n'
            f'version = "1.0"\n{wheel_line}',
            encoding="utf-8",
        )
        done = run_envsnap(
            "restore", "pylock.toml", "--venv", "target", "--without-pip",
            cwd=tmp_path, env={"ENVSNAP_CACHE_DIR": os.fspath(small_disk / "cache")},
        )  # fmt: skip
    assert done.returncode == 3, done.stderr
    entries = small_disk / "cache" / "unpacked" / "sha256" / digest[:2]
    assert done.stderr.splitlines()[-2:] == [
        f"error: {wheel.name}: cannot unpack it into {entries}: no space left on device",
        "hint: free some space, or set ENVSNAP_CACHE_DIR to a larger disk (or use --no-cache), "
        "then run again",
    ]
    assert list(entries.iterdir()) == []
    assert not (tmp_path / "target").exists()
