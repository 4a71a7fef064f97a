"""The requirements.txt writer: golden text, origins, options, determinism."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap import __version__
from envsnap.environment.distributions import InstalledDistribution, read_distributions
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.lock import Lock, LockedPackage, Origin
from envsnap.lockfiles import DumpOptions, format_for_path, get_writer
from envsnap.lockfiles.requirements.write import dump, requirement_line, requirements_text

if TYPE_CHECKING:
    from support.fake_site import FakeSite

HEADER = f"# envsnap {__version__} freeze - CPython 3.11.7, linux x86_64"


def snap(site: FakeSite) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings)


@pytest.fixture
def web(site: FakeSite) -> FakeSite:
    site(
        "requests",
        "2.32.3",
        "urllib3<3,>=1.21.1",
        "certifi>=2017.4.17",
        "idna<4,>=2.5",
        requested=True,
    )
    site("rich", "13.9.4", "markdown-it-py>=2.2.0", "idna", requested=True)
    site("urllib3", "2.2.3")
    site("certifi", "2024.8.30")
    site("idna", "3.10")
    site("markdown-it-py", "3.0.0", "mdurl~=0.1")
    site("mdurl", "0.1.2")
    site("pip", "24.2", requested=True)
    site("setuptools", "75.1.0", requested=True)
    return site


def test_golden_default(web: FakeSite) -> None:
    assert dump(snap(web), DumpOptions()) == (
        f"{HEADER} - 2 top-level, 5 transitive\n"
        "# top-level\n"
        "requests==2.32.3\n"
        "rich==13.9.4\n"
        "# transitive\n"
        "certifi==2024.8.30\n"
        "    # via requests\n"
        "idna==3.10\n"
        "    # via requests, rich\n"
        "markdown-it-py==3.0.0\n"
        "    # via rich\n"
        "mdurl==0.1.2\n"
        "    # via markdown-it-py\n"
        "urllib3==2.2.3\n"
        "    # via requests\n"
    )


def test_golden_no_annotate_all_exclude(web: FakeSite) -> None:
    options = DumpOptions(
        annotate=False, include_tools=True, exclude=frozenset({"MDURL", "certifi"})
    )
    assert dump(snap(web), options) == (
        f"{HEADER} - 4 top-level, 3 transitive\n"
        "# top-level\n"
        "pip==24.2\n"
        "requests==2.32.3\n"
        "rich==13.9.4\n"
        "setuptools==75.1.0\n"
        "# transitive\n"
        "idna==3.10\n"
        "markdown-it-py==3.0.0\n"
        "urllib3==2.2.3\n"
    )


def test_golden_top_level_only(web: FakeSite) -> None:
    assert dump(snap(web), DumpOptions(top_level_only=True)) == (
        f"{HEADER} - 2 top-level\n# top-level\nrequests==2.32.3\nrich==13.9.4\n"
    )


def test_empty_environment(site: FakeSite) -> None:
    assert dump(snap(site), DumpOptions()) == (
        f"{HEADER} - 0 top-level, 0 transitive\n# top-level\n# transitive\n"
    )


def test_names_as_spelled_sorted_by_normalized_name(site: FakeSite) -> None:
    site("Zope.Interface", "6.0")
    site("a_B", "1.0")
    site("PyYAML", "6.0.2")
    assert dump(snap(site), DumpOptions()).splitlines()[2:5] == [
        "a_B==1.0",
        "PyYAML==6.0.2",
        "Zope.Interface==6.0",
    ]


def test_same_environment_same_bytes(web: FakeSite) -> None:
    first = dump(snap(web), DumpOptions())
    assert dump(snap(web), DumpOptions()) == first
    assert first.isascii()


def _dist(origin: Origin, name: str = "pkg", version: str = "1.0") -> InstalledDistribution:
    return InstalledDistribution(
        name=name,  # type: ignore[arg-type]
        display_name=name,
        version=Version(version),
        origin=origin,
        location=Path("/site") / f"{name}-{version}.dist-info",
    )


def test_editable_relative_to_the_output_dir(tmp_path: Path) -> None:
    project = tmp_path / "work" / "mylib"
    project.mkdir(parents=True)
    dist = _dist(Origin(kind="directory", url=project.as_uri(), editable=True))
    assert requirement_line(dist, tmp_path / "work") == "-e ./mylib"
    assert requirement_line(dist, project) == "-e ."
    assert requirement_line(dist, tmp_path / "elsewhere") == f"-e {project}"
    assert requirement_line(dist) == f"-e {project}"


def test_editable_with_a_non_file_url_is_written_as_is() -> None:
    dist = _dist(Origin(kind="directory", url="https://example.invalid/src", editable=True))
    assert requirement_line(dist, Path.cwd()) == "-e https://example.invalid/src"


@pytest.mark.parametrize(
    ("origin", "line"),
    [
        (Origin(), "pkg==1.0"),
        (
            Origin(
                kind="archive",
                url="https://example.invalid/pkg-1.0.tar.gz",
                archive_hash="sha256=ab12",
            ),
            "pkg @ https://example.invalid/pkg-1.0.tar.gz#sha256=ab12",
        ),
        (
            Origin(kind="archive", url="file:///w/pkg-1.0-py3-none-any.whl"),
            "pkg @ file:///w/pkg-1.0-py3-none-any.whl",
        ),
        (
            Origin(
                kind="archive",
                url="file:///w/mono.zip",
                archive_hash="sha256=ff",
                subdirectory="sub",
            ),
            "pkg @ file:///w/mono.zip#sha256=ff&subdirectory=sub",
        ),
        (
            Origin(kind="vcs", url="https://example.invalid/o/pkg.git", vcs="git", commit="abc123"),
            "pkg @ git+https://example.invalid/o/pkg.git@abc123",
        ),
        (
            Origin(
                kind="vcs",
                url="https://example.invalid/o/m.git",
                vcs="git",
                commit="abc123",
                subdirectory="py",
            ),
            "pkg @ git+https://example.invalid/o/m.git@abc123#subdirectory=py",
        ),
        (Origin(kind="directory", url="file:///src/pkg"), "pkg @ file:///src/pkg"),
        # a local repository: the pip of Python 3.11/3.12 (23.2.1) refuses a URL with no host
        (
            Origin(kind="vcs", url="file:///src/repo", vcs="git", commit="abc123"),
            "pkg @ git+file://localhost/src/repo@abc123",
        ),
    ],
)
def test_origin_lines(origin: Origin, line: str) -> None:
    assert requirement_line(_dist(origin)) == line


def test_local_version_is_kept() -> None:
    assert requirement_line(_dist(Origin(), version="2.1.0+cpu")) == "pkg==2.1.0+cpu"


def test_credentials_never_reach_the_file(site: FakeSite) -> None:
    site(
        "private",
        "1.0",
        "dep @ https://bob:hunter2@example.invalid/dep.whl",
        direct_url={
            "url": "https://alice:s3cret@example.invalid/private-1.0.whl",
            "archive_info": {"hash": "sha256=00"},
        },
    )
    site(
        "vcsdep",
        "2.0",
        direct_url={
            "url": "https://oauth2:tok3n@example.invalid/v.git",
            "vcs_info": {"vcs": "git", "commit_id": "f00"},
        },
    )
    result = snap(site)
    text = dump(result, DumpOptions())
    assert text.splitlines()[2:4] == [
        "private @ https://example.invalid/private-1.0.whl#sha256=00",
        "vcsdep @ git+https://example.invalid/v.git@f00",
    ]
    json_text = get_writer("json")(result, DumpOptions())
    for secret in ("s3cret", "hunter2", "tok3n", "alice", "bob", "oauth2"):
        assert secret not in text
        assert secret not in json_text
    assert len(result.warnings) == 3


def test_editable_top_level_line_in_a_dump(site: FakeSite, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    site("proj", "0.1", "dep", direct_url={"url": project.as_uri(), "dir_info": {"editable": True}})
    site("dep", "1.0")
    assert dump(snap(site), DumpOptions(output_dir=tmp_path)).splitlines()[1:] == [
        "# top-level",
        "-e ./proj",
        "# transitive",
        "dep==1.0",
        "    # via proj",
    ]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("requirements.txt", "requirements"),
        ("pylock.toml", "pylock"),
        ("pylock.dev.toml", "pylock"),
        ("PYLOCK.TOML", "pylock"),
        ("snap.json", "json"),
        ("other.toml", "requirements"),
    ],
)
def test_format_for_path(name: str, fmt: str) -> None:
    assert format_for_path(Path(name)) == fmt


def test_get_writer() -> None:
    assert get_writer("requirements") is dump
    with pytest.raises(KeyError):
        get_writer("nope")


def test_a_declared_top_level_pin_says_so(site: FakeSite, tmp_path: Path) -> None:
    # check --no-env reports only such an entry as stale (issue 22): pytest, named by
    # hand, was never declared
    site("requests", "2.32.3", requested=True)
    site("pytest", "8.3.4", requested=True)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "me"\ndependencies = ["requests"]\n')
    dists, _ = read_distributions([site.root])
    snapshot = build_snapshot(site.environment(), dists, project=pyproject)
    assert dump(snapshot, DumpOptions()).splitlines()[1:] == [
        "# top-level",
        "pytest==8.3.4",
        "requests==2.32.3",
        "    # declared",
        "# transitive",
    ]
    assert "# declared" not in dump(snapshot, DumpOptions(annotate=False))


def test_constraints_name_editables_and_the_top_level_file_installs_every_editable(
    site: FakeSite, tmp_path: Path
) -> None:
    # pip and uv take no -e line as a constraint (issue 22): the constraints name it,
    # the top-level file installs it, also when something requires it (uv: no REQUESTED)
    lib = tmp_path / "lib"
    site("app", "1.0", "lib", requested=True)
    site("lib", "0.1", direct_url={"url": lib.as_uri(), "dir_info": {"editable": True}})
    snapshot = snap(site)
    assert dump(snapshot, DumpOptions(output_dir=tmp_path, constraints=True)).splitlines() == [
        f"{HEADER} - 1 top-level, 1 transitive",
        "# editable: lib",
        "# top-level",
        "app==1.0",
        "# transitive",
        f"lib @ {lib.as_uri()}",
        "    # via app",
    ]
    top = dump(snapshot, DumpOptions(output_dir=tmp_path, top_level_only=True))
    assert top.splitlines() == [f"{HEADER} - 2 top-level", "# top-level", "app==1.0", "-e ./lib"]


def test_requirements_text_of_a_lock() -> None:
    """What an installer gets for a Lock's packages: one checked line each."""
    lock = Lock(
        path=None,
        format="pylock",
        packages=(
            LockedPackage(
                name=canonicalize_name("alpha"),
                display_name="alpha",
                version=Version("1.0"),
                hashes=("sha256:aa", "sha256:bb"),
                marker=Marker('sys_platform == "linux"'),
            ),
            LockedPackage(
                name=canonicalize_name("proj"),
                display_name="proj",
                version=None,
                origin=Origin(kind="directory", url="file:///src/proj", editable=True),
            ),
            LockedPackage(
                name=canonicalize_name("tool"),
                display_name="tool",
                version=None,
                origin=Origin(kind="vcs", url="https://h/t.git", vcs="git", commit="c0ffee"),
            ),
            LockedPackage(
                name=canonicalize_name("w"),
                display_name="w",
                version=None,
                origin=Origin(kind="archive", url="https://h/w-1.0-py3-none-any.whl"),
            ),
        ),
    )
    assert requirements_text(lock) == (
        'alpha==1.0 ; sys_platform == "linux" --hash=sha256:aa --hash=sha256:bb\n'
        "-e /src/proj\n"
        "tool @ git+https://h/t.git@c0ffee\n"
        "w @ https://h/w-1.0-py3-none-any.whl\n"
    )
