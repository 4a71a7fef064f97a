"""Portable lock of a real venv against a loopback index (wheels built here, no internet).

The venv is built on this machine (CPython, Linux x86_64) by the host pip from
the loopback index; the index also holds what other targets need:
platform-conditional dependencies (``sys_platform``, ``platform_machine``,
``python_version``), a package with only Linux wheels, and a release whose
``Requires-Python`` sends Python 3.10 to an older version.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import tomllib
from packaging.pylock import Pylock
from packaging.specifiers import SpecifierSet

from envsnap.environment.snapshot import take_snapshot
from envsnap.errors import OperationError
from envsnap.index.file_cache import FileCache
from envsnap.index.http import HttpClient
from envsnap.index.simple_index import SimpleIndex
from envsnap.portable.freeze import portable_lock, requirements_lines
from envsnap.portable.source import IndexCandidates
from envsnap.portable.targets import make_targets
from support.index import serve_index
from support.venvs import clean_env, make_venv, pip_install, run_checked, run_envsnap
from support.wheels import build_sdist, build_wheel, metadata_text, seed_wheels

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# one xdist worker runs the module: its module-scoped index and venvs are built once
pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("portable"),
    pytest.mark.skipif(
        sys.platform != "linux" or platform.machine() != "x86_64",
        reason="the venv installs a manylinux x86_64 wheel, built for this one platform",
    ),
]

LINUX_WHEEL = "py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64"
PYTHONS = [(3, 10), (3, 11), (3, 12), (3, 13)]


def build_index(root: Path) -> None:
    build_wheel(
        root,
        "app",
        "1.0",
        requires=[
            'wincolor; sys_platform == "win32"',
            'ptyish; sys_platform != "win32"',
            'backport; python_version < "3.11"',
            'armfast; platform_machine == "aarch64" or platform_machine == "arm64"',
            "nativeonly",
            "pinnedlib",
        ],
    )
    build_wheel(root, "wincolor", "1.0")
    build_wheel(root, "wincolor", "2.0", requires_python=">=3.11", requires=["winhelper"])
    build_wheel(root, "winhelper", "1.0")
    build_wheel(root, "ptyish", "1.0")
    build_wheel(root, "backport", "1.0")
    build_wheel(root, "armfast", "1.0", tag="py3-none-macosx_11_0_arm64")
    build_wheel(root, "armfast", "1.0", tag="py3-none-manylinux_2_17_aarch64")
    build_sdist(root, "armfast", "1.0")
    build_wheel(root, "nativeonly", "1.0", tag=LINUX_WHEEL)
    build_wheel(root, "pinnedlib", "1.0")
    build_wheel(root, "pinnedlib", "2.0")
    build_wheel(root, "needsnew", "1.0", requires=['pinnedlib>=2; sys_platform == "win32"'])
    # like app, with a wheel for every target
    build_wheel(
        root,
        "crossapp",
        "1.0",
        requires=[
            'wincolor; sys_platform == "win32"',
            'ptyish; sys_platform != "win32"',
            'backport; python_version < "3.11"',
            'armfast; platform_machine == "aarch64" or platform_machine == "arm64"',
        ],
    )
    seed_wheels(root)  # what `uv venv --seed` takes from the index
    # the PEP 658 file of the first wheel resolution asks about (cp310-linux-x86_64),
    # advertised on its page with its sha256
    (root / "backport-1.0-py3-none-any.whl.metadata").write_text(
        metadata_text("backport", "1.0"), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    root = tmp_path_factory.mktemp("portable-index")
    build_index(root)
    log: list[str] = []
    with serve_index(root, log=log) as url:
        yield url, log


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, index: tuple[str, list[str]]) -> Path:
    python = make_venv(tmp_path_factory.mktemp("portable") / "venv")
    pip_install(python, "app", "pinnedlib==1.0", index_url=index[0])
    return python


@pytest.fixture(scope="module")
def blocked(tmp_path_factory: pytest.TempPathFactory, index: tuple[str, list[str]]) -> Path:
    """needsnew with pinnedlib 1.0, which blocks it on Windows (read-only for the tests)."""
    python = make_venv(tmp_path_factory.mktemp("blocked") / "venv")
    pip_install(python, "needsnew", "pinnedlib==1.0", index_url=index[0])
    return python


@pytest.fixture(scope="module")
def crossapp(tmp_path_factory: pytest.TempPathFactory, index: tuple[str, list[str]]) -> Path:
    """A venv holding crossapp, pip-installed from the index (read-only for the tests)."""
    python = make_venv(tmp_path_factory.mktemp("crossapp") / "venv")
    pip_install(python, "crossapp", index_url=index[0])
    return python


@pytest.fixture(scope="module")
def crossapp_file(
    tmp_path_factory: pytest.TempPathFactory, crossapp: Path, index: tuple[str, list[str]]
) -> Callable[..., Path]:
    """``crossapp_file(tmp_path, *freeze_args, name="portable.txt")``: a portable file of crossapp.

    The file ``envsnap freeze --portable`` writes with those arguments, copied
    into ``tmp_path``; each distinct file is made once per module.
    """
    root = tmp_path_factory.mktemp("crossapp-files")
    made: dict[tuple[str, ...], Path] = {}

    def file(tmp_path: Path, *args: str, name: str = "portable.txt") -> Path:
        key = (name, *args)
        if key not in made:
            folder = root / str(len(made))
            folder.mkdir()
            made[key] = portable_file(crossapp, index[0], folder, *args, name=name)
        return Path(shutil.copy(made[key], tmp_path / name))

    return file


def source_for(url: str, tmp_path: Path) -> IndexCandidates:
    index = SimpleIndex([url], client=HttpClient(), files=FileCache(tmp_path / "cache"))
    return IndexCandidates(index)


def test_portable_lock_of_a_real_venv(
    venv: Path, index: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, log = index
    snapshot = take_snapshot(venv)
    assert {d.name for d in snapshot.distributions} == {
        "app",
        "ptyish",
        "nativeonly",
        "pinnedlib",
    }
    log.clear()
    result = portable_lock(snapshot, make_targets(PYTHONS), source_for(url, tmp_path))
    assert requirements_lines(result) == [
        "# envsnap freeze --portable",
        "# requires-python: <3.14,>=3.10",
        "# python: 3.10, 3.11, 3.12, 3.13",
        "# platforms: linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64, windows-amd64",
        "# top-level: app, pinnedlib",
        "app==1.0",
        'armfast==1.0 ; platform_machine == "aarch64" or platform_machine == "arm64"',
        'backport==1.0 ; python_version < "3.11"',
        "nativeonly==1.0",
        "pinnedlib==1.0",
        'ptyish==1.0 ; sys_platform != "win32"',
        'wincolor==1.0 ; sys_platform == "win32" and python_version < "3.11"',
        'wincolor==2.0 ; sys_platform == "win32" and python_version >= "3.11"',
        'winhelper==1.0 ; sys_platform == "win32" and python_version >= "3.11"',
    ]
    # the Linux-only wheel: every other platform lacks a file for it
    assert {name: set(pins) for name, pins in result.missing_files.items()} == {
        f"cp3{m}-{p}": {"nativeonly==1.0"}
        for m in (10, 11, 12, 13)
        for p in ("linux-aarch64", "macos-x86_64", "macos-arm64", "windows-amd64")
    }
    assert result.not_on_index == ()
    wincolor = next(p for p in result.pins if p.name == "wincolor" and str(p.version) == "2.0")
    assert [f.filename for f in wincolor.files] == ["wincolor-2.0-py3-none-any.whl"]
    # backport's PEP 658 file (advertised, hash checked) is read instead of its wheel; no
    # other .metadata is advertised, so none is asked for: those wheels are downloaded
    metadata_requests = [p for p in log if p.endswith(".metadata")]
    assert metadata_requests == ["/files/backport-1.0-py3-none-any.whl.metadata"]
    assert "/files/backport-1.0-py3-none-any.whl" not in log
    assert "/files/wincolor-2.0-py3-none-any.whl" in log
    # each project page is read once for all 20 targets
    pages = [p for p in log if p.startswith("/simple/")]
    assert len(pages) == len(set(pages))


def test_an_installed_pin_that_blocks_a_target_is_named(
    blocked: Path, index: tuple[str, list[str]], tmp_path: Path
) -> None:
    snapshot = take_snapshot(blocked)
    targets = make_targets([(3, 12)], ["linux-x86_64", "windows-amd64"])
    with pytest.raises(OperationError) as caught:
        portable_lock(snapshot, targets, source_for(index[0], tmp_path))
    assert caught.value.message == (
        "no resolution for cp312-windows-amd64: pinnedlib>=2 (required by needsnew==1.0) "
        "excludes the installed pinnedlib==1.0"
    )
    result = portable_lock(
        snapshot, targets, source_for(index[0], tmp_path), drop_unresolvable=True
    )
    assert [t.name for t in result.targets] == ["cp312-linux-x86_64"]
    assert [line for line in requirements_lines(result) if not line.startswith("#")] == [
        "needsnew==1.0",
        "pinnedlib==1.0",
    ]


def test_cli_freeze_portable(venv: Path, index: tuple[str, list[str]], tmp_path: Path) -> None:
    args = ["freeze", "-p", str(venv), "--portable", "--index-url", index[0]]
    env = {"ENVSNAP_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_envsnap(*args, "--python-version", "3.10", "--platform", "windows-amd64", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "# envsnap freeze --portable",
        "# requires-python: <3.11,>=3.10",
        "# python: 3.10",
        "# platforms: windows-amd64",
        "# top-level: app, pinnedlib",
        "app==1.0",
        "backport==1.0",
        "nativeonly==1.0",
        "pinnedlib==1.0",
        "wincolor==1.0",
    ]
    assert proc.stderr.splitlines()[-3:] == [
        "warning: cp310-windows-amd64: no wheel or sdist for nativeonly==1.0",
        "note: needed on no target, left out: ptyish==1.0",
        "note: added for other targets: backport==1.0, wincolor==1.0",
    ]
    out = tmp_path / "portable.txt"
    written = run_envsnap(*args, "--python-version", "3.12-3.13", "-o", str(out), env=env)
    assert written.returncode == 0, written.stderr
    assert written.stderr.splitlines()[-1] == f"wrote {out}: 7 pins for 10 targets"
    assert out.read_text(encoding="utf-8").startswith("# envsnap freeze --portable\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--platform", "windows-amd64"], "--python-version, --platform and --drop-unresolvable"),
        (["--portable", "--format", "json"], "--portable writes requirements.txt or pylock.toml"),
        (["--portable", "--platform", "bsd"], "error: unknown platform 'bsd'"),
        (["--portable", "--python-version", "3.10-3"], "3 is not a version like 3.12"),
    ],
)
def test_cli_freeze_portable_bad_input_is_exit_2(
    venv: Path, index: tuple[str, list[str]], extra: list[str], message: str
) -> None:
    proc = run_envsnap("freeze", "-p", str(venv), "--index-url", index[0], *extra)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_freeze_portable_without_resolution_is_exit_3(
    blocked: Path, index: tuple[str, list[str]], tmp_path: Path
) -> None:
    proc = run_envsnap(
        "freeze",
        "-p",
        str(blocked),
        "--portable",
        "--index-url",
        index[0],
        "--python-version",
        "3.12",
        env={"ENVSNAP_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 3
    assert proc.stderr.splitlines()[-2:] == [
        "error: no resolution for cp312-windows-amd64: pinnedlib>=2 (required by needsnew==1.0) "
        "excludes the installed pinnedlib==1.0",
        "hint: the installed versions stay as they are: upgrade or downgrade the package in the "
        "environment, or leave the target out (--platform / --python-version)",
    ]


def portable_file(
    python: Path, url: str, tmp_path: Path, *args: str, name: str = "portable.txt"
) -> Path:
    out = tmp_path / name
    proc = run_envsnap(
        "freeze", "-p", str(python), "--portable", "--index-url", url, "-o", str(out), *args,
        env={"ENVSNAP_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("version", ["3.10", "3.13"])
def test_restores_into_other_python_versions(
    index: tuple[str, list[str]], crossapp_file: Callable[..., Path], tmp_path: Path, version: str
) -> None:
    # real interpreters only: pyenv's shims on PATH may not run the version asked for
    found = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no pyenv Python {version} on this machine")
    base = str(found[-1])
    frozen = crossapp_file(tmp_path, "--python-version", "3.10-3.13")
    target = tmp_path / f"py{version}"
    run_checked([base, "-m", "venv", "--without-pip", str(target)])
    python = target / "bin" / "python"
    pip_install(python, "-r", str(frozen), index_url=index[0])
    run_checked([sys.executable, "-m", "pip", "--python", str(python), "check"])
    listed = run_checked([sys.executable, "-m", "pip", "--python", str(python), "list"])
    names = {line.split()[0] for line in listed.splitlines()[2:]}
    expected = {"crossapp", "ptyish"} | ({"backport"} if version == "3.10" else set())
    assert names - {"pip"} == expected


@pytest.mark.parametrize(
    ("uv_platform", "expected"),
    [
        ("windows", {"crossapp==1.0", "wincolor==2.0", "winhelper==1.0"}),
        ("aarch64-apple-darwin", {"crossapp==1.0", "ptyish==1.0", "armfast==1.0"}),
        ("aarch64-unknown-linux-gnu", {"crossapp==1.0", "ptyish==1.0", "armfast==1.0"}),
        ("x86_64-apple-darwin", {"crossapp==1.0", "ptyish==1.0"}),
    ],
)
def test_uv_accepts_it_for_other_platforms(
    index: tuple[str, list[str]],
    crossapp: Path,
    crossapp_file: Callable[..., Path],
    tmp_path: Path,
    uv_platform: str,
    expected: set[str],
) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    frozen = crossapp_file(tmp_path, "--python-version", "3.12")
    cmd = [uv, "pip", "install", "--dry-run", "--python-platform", uv_platform]
    cmd += ["--python-version", "3.12", "--target", str(tmp_path / "t"), "--python", str(crossapp)]
    cmd += ["--index-url", index[0], "-r", str(frozen)]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert {line.split()[1] for line in done.stderr.splitlines() if line.startswith(" + ")} == (
        expected
    )


def test_portable_pylock(crossapp_file: Callable[..., Path], tmp_path: Path) -> None:
    frozen = crossapp_file(tmp_path, "--python-version", "3.10-3.13", name="pylock.toml")
    data = tomllib.loads(frozen.read_text(encoding="utf-8"))
    lock = Pylock.from_dict(data)
    lock.validate()
    assert lock.requires_python == SpecifierSet(">=3.10,<3.14")
    assert [str(m) for m in lock.environments or ()] == [
        f'python_version == "3.{minor}" and sys_platform == "{system}" '
        f'and platform_machine == "{machine}"'
        for minor in (10, 11, 12, 13)
        for system, machine in [
            ("linux", "x86_64"),
            ("linux", "aarch64"),
            ("darwin", "x86_64"),
            ("darwin", "arm64"),
            ("win32", "AMD64"),
        ]
    ]
    pins = [(p.name, str(p.version), str(p.marker) if p.marker else None) for p in lock.packages]
    assert pins == [
        ("armfast", "1.0", 'platform_machine == "aarch64" or platform_machine == "arm64"'),
        ("backport", "1.0", 'python_version < "3.11"'),
        ("crossapp", "1.0", None),
        ("ptyish", "1.0", 'sys_platform != "win32"'),
        ("wincolor", "1.0", 'sys_platform == "win32" and python_version < "3.11"'),
        ("wincolor", "2.0", 'sys_platform == "win32" and python_version >= "3.11"'),
        ("winhelper", "1.0", 'sys_platform == "win32" and python_version >= "3.11"'),
    ]  # fmt: skip
    armfast = lock.packages[0]
    assert [w.name for w in armfast.wheels or ()] == [
        "armfast-1.0-py3-none-macosx_11_0_arm64.whl",
        "armfast-1.0-py3-none-manylinux_2_17_aarch64.whl",
    ]
    assert armfast.sdist is not None
    assert armfast.sdist.name == "armfast-1.0.tar.gz"
    for package in lock.packages:
        for file in [*(package.wheels or ()), *([package.sdist] if package.sdist else [])]:
            assert file.url is not None
            body = urllib.request.urlopen(file.url).read()
            assert file.size is None  # the loopback index gives no PEP 700 size
            assert file.hashes == {"sha256": hashlib.sha256(body).hexdigest()}
    assert data["tool"]["envsnap"]["top-level"] == ["crossapp"]
    assert (
        data["tool"]["envsnap"]["reasons"]["wincolor"] == "added from the index for other targets"
    )
    assert data["tool"]["envsnap"]["reasons"]["ptyish"] == "via crossapp"


@pytest.mark.parametrize(
    ("uv_platform", "expected"),
    [
        ("windows", {"crossapp==1.0", "wincolor==2.0", "winhelper==1.0"}),
        ("aarch64-apple-darwin", {"crossapp==1.0", "ptyish==1.0", "armfast==1.0"}),
    ],
)
def test_uv_accepts_the_portable_pylock_for_other_platforms(
    index: tuple[str, list[str]],
    crossapp: Path,
    crossapp_file: Callable[..., Path],
    tmp_path: Path,
    uv_platform: str,
    expected: set[str],
) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    frozen = crossapp_file(tmp_path, "--python-version", "3.11-3.13", name="pylock.toml")
    cmd = [uv, "pip", "install", "--dry-run", "--python-platform", uv_platform]
    cmd += ["--python-version", "3.12", "--target", str(tmp_path / "t"), "--python", str(crossapp)]
    cmd += ["--preview-features", "pylock", "-r", str(frozen)]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert {line.split()[1] for line in done.stderr.splitlines() if line.startswith(" + ")} == (
        expected
    )


def _pyenv_python(version: str) -> str:
    # real interpreters only: pyenv's shims on PATH may not run the version asked for
    found = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no pyenv Python {version} on this machine")
    return str(found[-1])


@pytest.mark.parametrize("name", ["portable.txt", "pylock.toml"])
@pytest.mark.parametrize("version", ["3.10", "3.13"])
def test_envsnap_restore_installs_what_applies_there(
    index: tuple[str, list[str]],
    crossapp_file: Callable[..., Path],
    tmp_path: Path,
    version: str,
    name: str,
) -> None:
    base = _pyenv_python(version)
    frozen = crossapp_file(tmp_path, "--python-version", "3.10-3.13", name=name)
    target = tmp_path / f"py{version}"
    env = {"ENVSNAP_CACHE_DIR": str(tmp_path / "cache")}
    restored = run_envsnap(
        "restore", "--venv", str(target), "-p", base, "--index-url", index[0], str(frozen), env=env
    )
    assert restored.returncode == 0, restored.stderr
    python = target / "bin" / "python"
    run_checked([str(python), "-m", "pip", "check"])
    listed = run_checked([str(python), "-m", "pip", "list", "--format", "freeze"])
    expected = {"crossapp==1.0", "ptyish==1.0"} | (
        {"backport==1.0"} if version == "3.10" else set()
    )
    tools = ("pip==", "setuptools==", "wheel==")  # seeded by uv before Python 3.12
    assert {line for line in listed.splitlines() if not line.startswith(tools)} == expected
    checked = run_envsnap("check", "-p", str(python), str(frozen), cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"OK {frozen} matches env {target}")


def test_restore_builds_from_the_newest_python_in_the_range(
    index: tuple[str, list[str]], crossapp_file: Callable[..., Path], tmp_path: Path
) -> None:
    _pyenv_python("3.13")
    frozen = crossapp_file(tmp_path, "--python-version", "3.10-3.13")
    target = tmp_path / "newest"
    restored = run_envsnap(
        "restore", "--venv", str(target), "--index-url", index[0], str(frozen),
        env={"ENVSNAP_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert f"create: {target} with uv (Python 3.13." in restored.stderr
