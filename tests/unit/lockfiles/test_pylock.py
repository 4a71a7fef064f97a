"""pylock.toml writer and reader: golden output, validation, round trip, errors."""

from __future__ import annotations

import hashlib
import shutil
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.pylock import Pylock
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.errors import InputError, LockFileError, OperationError
from envsnap.index.distfile import DistFile, ProjectFiles
from envsnap.index.repository import StaticSource
from envsnap.index.wheelhouse import Wheelhouse
from envsnap.lock import Lock, LockedPackage, Origin
from envsnap.lockfiles import DumpOptions, get_writer
from envsnap.lockfiles.pylock.read import entry_lines, load
from envsnap.lockfiles.pylock.write import dump
from support.fake_site import LINUX_311, FakeSite
from support.wheels import build_wheel, file_sha256

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomlkit as tomllib

FIXTURES = Path(__file__).parents[3] / "fixtures" / "pylock"
N = NormalizedName
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ARCHIVE_SHA = "ab" * 32
UPLOADED = datetime(2024, 8, 30, 13, 45, 12, tzinfo=timezone.utc)


def digest(name: str) -> str:
    """A fake, stable sha256 per file name."""
    return hashlib.sha256(name.encode()).hexdigest()


def files(name: str, version: str, *filenames: str) -> ProjectFiles:
    return ProjectFiles(
        name=N(name),
        version=Version(version),
        index="https://index.example/simple",
        files=tuple(
            DistFile(
                filename=f,
                url=f"https://index.example/files/{f}",
                hashes={"sha256": digest(f)},
                size=1000 + len(f),
                upload_time=UPLOADED if f.endswith(".whl") else None,
            )
            for f in filenames
        ),
    )


SOURCE = StaticSource(
    {
        N("requests"): files(
            "requests", "2.32.3", "requests-2.32.3-py3-none-any.whl", "requests-2.32.3.tar.gz"
        ),
        N("certifi"): files("certifi", "2024.8.30", "certifi-2024.8.30-py3-none-any.whl"),
        N("charset-normalizer"): files(
            "charset-normalizer",
            "3.4.0",
            "charset_normalizer-3.4.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "charset_normalizer-3.4.0-cp311-cp311-win_amd64.whl",
            "charset_normalizer-3.4.0.tar.gz",
        ),
    },
    label="the index at https://index.example/simple",
)


@pytest.fixture
def web(site: FakeSite, tmp_path: Path) -> FakeSite:
    site(
        "requests",
        "2.32.3",
        "certifi>=2017.4.17",
        "charset-normalizer<4,>=2",
        "requests-toolbelt; extra == 'toolbelt'",
        requires_python=">=3.8",
        requested=True,
    )
    site("certifi", "2024.8.30", requires_python=">=3.6")
    site("Charset_Normalizer", "3.4.0")
    project = tmp_path / "src" / "myproj"
    project.mkdir(parents=True)
    site(
        "myproj",
        "0.1",
        "requests",
        direct_url={"url": project.as_uri(), "dir_info": {"editable": True}},
    )
    site(
        "vcspkg",
        "1.0",
        direct_url={
            "url": "https://git.example/vcspkg.git",
            "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "main"},
        },
        requested=True,
    )
    site(
        "arch",
        "2.0",
        direct_url={
            "url": "https://downloads.example/arch-2.0.tar.gz",
            "archive_info": {"hashes": {"sha256": ARCHIVE_SHA}},
        },
    )
    site("pip", "24.2", requested=True)
    return site


def snap(site: FakeSite) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings)


def options(tmp_path: Path, **kwargs: object) -> DumpOptions:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return DumpOptions(output_dir=out, hash_source=SOURCE, **kwargs)  # type: ignore[arg-type]


def test_golden(web: FakeSite, tmp_path: Path) -> None:
    text = dump(snap(web), options(tmp_path))
    assert text == (FIXTURES / "envsnap-fake.toml").read_text(encoding="utf-8")


def test_writer_is_registered_and_deterministic(web: FakeSite, tmp_path: Path) -> None:
    writer = get_writer("pylock")
    assert writer(snap(web), options(tmp_path)) == writer(snap(web), options(tmp_path))


def test_output_validates_with_packaging(web: FakeSite, tmp_path: Path) -> None:
    lock = Pylock.from_dict(tomllib.loads(dump(snap(web), options(tmp_path))))
    assert [p.name for p in lock.packages] == [
        "arch",
        "certifi",
        "charset-normalizer",
        "myproj",
        "requests",
        "vcspkg",
    ]
    assert lock.created_by == "envsnap"
    assert lock.environments == [
        Marker(
            "implementation_name == 'cpython' and sys_platform == 'linux' "
            "and platform_machine == 'x86_64'"
        )
    ]
    selected = lock.select(environment=LINUX_311, tags=[Tag("py3", "none", "any")])  # type: ignore[arg-type]
    assert [(p.name, type(entry).__name__) for p, entry in selected] == [
        ("arch", "PackageArchive"),
        ("certifi", "PackageWheel"),
        ("charset-normalizer", "PackageSdist"),
        ("myproj", "PackageDirectory"),
        ("requests", "PackageWheel"),
        ("vcspkg", "PackageVcs"),
    ]


def test_round_trip(web: FakeSite, tmp_path: Path) -> None:
    opts = options(tmp_path)
    assert opts.output_dir is not None
    path = opts.output_dir / "pylock.toml"
    path.write_text(dump(snap(web), opts), encoding="utf-8")

    def hashes(project: str) -> tuple[str, ...]:
        return tuple(sorted(f"sha256:{f.sha256}" for f in SOURCE.projects[N(project)].files))

    loaded = load(path)
    lines = entry_lines(path.read_text(encoding="utf-8"))
    assert [p.line for p in loaded.packages] == lines  # one table per package, sorted by name
    without_lines = tuple(replace(p, line=None) for p in loaded.packages)
    assert replace(loaded, packages=without_lines) == Lock(
        path=path,
        format="pylock",
        python_version="3.11.7",
        written_by_envsnap=True,
        complete=True,
        packages=(
            LockedPackage(
                name=N("arch"),
                display_name="arch",
                version=Version("2.0"),
                origin=Origin(
                    kind="archive",
                    url="https://downloads.example/arch-2.0.tar.gz",
                    archive_hash=f"sha256={ARCHIVE_SHA}",
                ),
                hashes=(f"sha256:{ARCHIVE_SHA}",),
                top_level=True,
                reason="root",
            ),
            LockedPackage(
                name=N("certifi"),
                display_name="certifi",
                version=Version("2024.8.30"),
                hashes=hashes("certifi"),
                reason="via requests",
            ),
            LockedPackage(
                name=N("charset-normalizer"),
                display_name="charset-normalizer",
                version=Version("3.4.0"),
                hashes=hashes("charset-normalizer"),
                reason="via requests",
            ),
            LockedPackage(
                name=N("myproj"),
                display_name="myproj",
                version=None,
                origin=Origin(
                    kind="directory",
                    url=(tmp_path / "src" / "myproj").as_uri(),
                    editable=True,
                ),
                top_level=True,
                reason="root",
            ),
            LockedPackage(
                name=N("requests"),
                display_name="requests",
                version=Version("2.32.3"),
                hashes=hashes("requests"),
                top_level=True,
                reason="requested",
            ),
            LockedPackage(
                name=N("vcspkg"),
                display_name="vcspkg",
                version=Version("1.0"),
                origin=Origin(
                    kind="vcs",
                    url="https://git.example/vcspkg.git",
                    vcs="git",
                    commit=COMMIT,  # the branch asked for is not written: informational
                ),
                top_level=True,
                reason="requested",
            ),
        ),
    )


def test_origins_match_the_snapshot(web: FakeSite, tmp_path: Path) -> None:
    snapshot = snap(web)
    opts = options(tmp_path)
    assert opts.output_dir is not None
    path = opts.output_dir / "pylock.toml"
    path.write_text(dump(snapshot, opts), encoding="utf-8")
    lock = load(path)
    for dist in snapshot.listed():
        package = lock.get(dist.name)
        assert package is not None
        # all but the requested revision, which the lock leaves out (PEP 751: informational)
        assert package.origin == replace(dist.origin, requested_revision=None)


def test_wheelhouse_paths_are_relative_to_the_lock(site: FakeSite, tmp_path: Path) -> None:
    site("solo", "1.0", requested=True)
    wheel = build_wheel(tmp_path / "out" / "wheels", "solo", "1.0")
    opts = DumpOptions(output_dir=tmp_path / "out", hash_source=Wheelhouse(wheel.parent))
    text = dump(snap(site), opts)
    assert (
        '    {name = "solo-1.0-py3-none-any.whl", path = "wheels/solo-1.0-py3-none-any.whl", '
        f'size = {wheel.stat().st_size}, hashes = {{sha256 = "{file_sha256(wheel)}"}}}},\n'
    ) in text
    lock_path = tmp_path / "out" / "pylock.toml"
    lock_path.write_text(text, encoding="utf-8")
    solo = load(lock_path).get("solo")
    assert solo is not None
    assert [(f.key, f.value) for f in solo.files] == [("path", "wheels/solo-1.0-py3-none-any.whl")]


def test_local_archive_without_recorded_hash_is_hashed(site: FakeSite, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dl", "localwheel", "1.0")
    site("localwheel", "1.0", direct_url={"url": wheel.as_uri(), "archive_info": {}})
    text = dump(snap(site), DumpOptions(output_dir=tmp_path))
    assert (
        f'archive = {{path = "dl/{wheel.name}", hashes = {{sha256 = "{file_sha256(wheel)}"}}}}\n'
    ) in text


# --------------------------------------------------------------------------- writer errors


def test_no_hash_source_is_exit_3_with_hint(web: FakeSite, tmp_path: Path) -> None:
    with pytest.raises(OperationError) as info:
        dump(snap(web), DumpOptions(output_dir=tmp_path))
    assert info.value.exit_code == 3
    assert info.value.message == (
        "pylock.toml needs the file hashes of 3 index packages and no hash source is set"
    )
    assert info.value.hint == (
        "name the index you install from with --index-url URL (or PIP_INDEX_URL), "
        "or a wheelhouse with --find-links DIR (pip download -d DIR -r requirements.txt)"
    )


def test_direct_only_env_needs_no_hash_source(site: FakeSite, tmp_path: Path) -> None:
    site(
        "vcspkg",
        "1.0",
        direct_url={
            "url": "https://git.example/v.git",
            "vcs_info": {"vcs": "git", "commit_id": COMMIT},
        },
    )
    text = dump(snap(site), DumpOptions(output_dir=tmp_path))
    assert (
        f'vcs = {{type = "git", url = "https://git.example/v.git", commit-id = "{COMMIT}"}}\n'
        in text
    )


def test_missing_package_is_named(web: FakeSite, tmp_path: Path) -> None:
    web("idna", "3.10")
    with pytest.raises(OperationError) as info:
        dump(snap(web), options(tmp_path))
    assert (
        info.value.message
        == "1 package not found in the index at https://index.example/simple: idna==3.10"
    )


def test_missing_file_for_this_environment_is_named(site: FakeSite, tmp_path: Path) -> None:
    site("winonly", "1.0")
    source = StaticSource(
        {N("winonly"): files("winonly", "1.0", "winonly-1.0-cp311-cp311-win_amd64.whl")}
    )
    with pytest.raises(OperationError) as info:
        dump(snap(site), DumpOptions(hash_source=source))
    assert info.value.message == (
        "winonly==1.0: no file for this environment in the given files "
        "(no compatible wheel among 1, no sdist)"
    )


def test_remote_archive_without_hash_is_an_error(site: FakeSite, tmp_path: Path) -> None:
    site(
        "arch",
        "2.0",
        direct_url={"url": "https://downloads.example/arch-2.0.tar.gz", "archive_info": {}},
    )
    with pytest.raises(OperationError) as info:
        dump(snap(site), DumpOptions(output_dir=tmp_path))
    assert info.value.message == (
        "arch: installed from https://downloads.example/arch-2.0.tar.gz with no recorded hash, "
        "and the file is not on this machine"
    )


def test_top_level_only_is_refused(web: FakeSite, tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        dump(snap(web), options(tmp_path, top_level_only=True))
    assert info.value.exit_code == 2


def test_invalid_files_never_make_a_lock(site: FakeSite, tmp_path: Path) -> None:
    site("solo", "1.0")
    wrong = StaticSource({N("solo"): files("solo", "1.0", "other-1.0-py3-none-any.whl")})
    with pytest.raises(OperationError) as info:
        dump(snap(site), DumpOptions(hash_source=wrong))
    assert info.value.message == (
        "the pylock.toml built for this environment is not valid: Name in "
        "'other-1.0-py3-none-any.whl' is not consistent with package name 'solo' "
        "in 'packages[0].wheels[0]'"
    )


# --------------------------------------------------------------------------- reader


def test_reads_a_pip_lock_file() -> None:
    lock = load(FIXTURES / "pip-lock.toml")
    assert not lock.written_by_envsnap
    assert [(p.name, str(p.version), p.origin.kind, len(p.hashes)) for p in lock.packages] == [
        ("alpha", "1.0", "index", 1),
        ("beta", "1.0", "index", 1),
        ("gamma", "1.0", "index", 1),
    ]
    assert lock.top_level == ()


def test_reads_a_uv_lock_file() -> None:
    lock = load(FIXTURES / "uv-lock.toml")
    assert not lock.written_by_envsnap
    assert [
        (p.name, str(p.version), str(p.marker) if p.marker else None) for p in lock.packages
    ] == [
        ("alpha", "1.0", None),
        ("beta", "1.0", None),
        ("eta", "1.0", None),
        ("gamma", "1.0", None),
        ("zeta", "1.0", 'sys_platform == "win32"'),
    ]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("invalid-missing-hashes.toml", "Missing required value (at packages[1].wheels[0].hashes)"),
        ("invalid-name.toml", "Name 'Beta' is not normalized (at packages[1].name)"),
        ("invalid-version.toml", "pylock version 2.0 is not supported"),
        (
            "invalid-both-sources.toml",
            "None of vcs, directory, archive must be set if sdist or wheels are set "
            "(at packages[0])",
        ),
    ],
)
def test_invalid_lock_names_the_key(fixture: str, message: str) -> None:
    path = FIXTURES / fixture
    with pytest.raises(LockFileError) as info:
        load(path)
    assert info.value.message == f"{path}: not a valid pylock file (PEP 751): {message}"
    assert info.value.exit_code == 2


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "pylock.toml"
    bad.write_text('lock-version = "1.0"\npackages = [\n', encoding="utf-8")
    with pytest.raises(LockFileError) as info:
        load(bad)
    assert info.value.message.startswith(f"{bad}: invalid TOML: ")
    with pytest.raises(LockFileError) as info:
        load(tmp_path / "missing.toml")
    assert (
        info.value.message == f"{tmp_path / 'missing.toml'}: cannot read: No such file or directory"
    )


def test_entry_lines_point_at_each_tables_name_key() -> None:
    text = (
        'lock-version = "1.0"\n'
        "[[packages]]\n"
        'name = "Alpha"\n'
        'version = "1.0"\n'
        "[[packages.wheels]]\n"
        'name = "alpha-1.0-py3-none-any.whl"\n'
        "[[packages]]\n"
        'version = "2.0"\n'
        "name = 'beta'\n"
        "[[packages]]\n"
        'name = "beta"\n'
        "[[packages]]\n"
        'version = "3.0"\n'
        "[tool.envsnap]\n"
        'name = "not-a-package"\n'
    )
    # the second beta (another version, under its own marker) has its own line
    assert entry_lines(text) == [3, 9, 11, None]


@pytest.mark.parametrize(
    "vcs_info",
    [
        {"vcs": "git", "commit_id": COMMIT},  # installed from the repository's default branch
        # the same, restored: pip installs the commit and records it as the request
        {"vcs": "git", "commit_id": COMMIT, "requested_revision": COMMIT},
        {"vcs": "git", "commit_id": COMMIT, "requested_revision": "main"},
    ],
)
def test_a_vcs_package_round_trips_byte_identical(
    site: FakeSite, tmp_path: Path, vcs_info: dict[str, str]
) -> None:
    # issue 22: a restore through pip used to add requested-revision to the next freeze;
    # pip records file://localhost/PATH as envsnap's requirements files write it
    site(
        "vcspkg",
        "1.0",
        requested=True,
        direct_url={"url": "file:///src/repo", "vcs_info": vcs_info},
    )
    expected = dump(snap(site), options(tmp_path))
    assert (
        'vcs = {type = "git", url = "file:///src/repo", commit-id = "' + COMMIT + '"}' in expected
    )
    for info in site.root.glob("vcspkg-*.dist-info"):
        shutil.rmtree(info)
    site(
        "vcspkg",
        "1.0",
        requested=True,
        direct_url={
            "url": "file://localhost/src/repo",
            "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": COMMIT},
        },
    )
    assert dump(snap(site), options(tmp_path)) == expected
