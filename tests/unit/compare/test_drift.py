"""The drift core: env vs lock, lock vs lock, lock vs pyproject."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.compare.changes import Change, Report, combine
from envsnap.compare.drift import (
    compare_env_to_lock,
    compare_lock_to_project,
    compare_locks,
    lock_from_snapshot,
)
from envsnap.environment.distributions import read_distributions
from envsnap.environment.project import DeclaredDependency, ProjectDeclaration
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.lock import Lock, LockedPackage, Origin

if TYPE_CHECKING:
    from support.fake_site import FakeSite

LOCK_PATH = Path("requirements.txt")


def pkg(name: str, version: str | None, line: int | None = None, **kw: object) -> LockedPackage:
    return LockedPackage(
        name=canonicalize_name(name),
        display_name=name,
        version=Version(version) if version else None,
        line=line,
        **kw,  # type: ignore[arg-type]
    )


def lock(*packages: LockedPackage, path: Path | None = LOCK_PATH, complete: bool = True) -> Lock:
    return Lock(
        path=path,
        format="requirements",
        packages=tuple(sorted(packages, key=lambda p: p.name)),
        complete=complete,
    )


def snap(site: FakeSite) -> Snapshot:
    env = site.environment()
    dists, warnings = read_distributions([site.root])
    return build_snapshot(env, dists, warnings=warnings)


def kinds(report: Report) -> list[tuple[str, str]]:
    return [(c.kind, c.name) for c in report.changes]


def test_clean_env_matches_lock(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3>=2", requested=True)
    site("urllib3", "2.2.3")
    site("pip", "26.0")
    report = compare_env_to_lock(
        snap(site), lock(pkg("requests", "2.32.3", 2), pkg("urllib3", "2.2.3", 4))
    )
    assert report.changes == ()
    assert not report
    assert report.checked == 2
    assert report.a_label == "requirements.txt"
    assert report.b_label == f"env {site.root.parents[2]}"


def test_missing_extra_changed(site: FakeSite) -> None:
    site("requests", "2.31.0", requested=True)
    site("rich", "13.9.4", requested=True)
    report = compare_env_to_lock(
        snap(site), lock(pkg("requests", "2.32.3", 2), pkg("idna", "3.10", 3))
    )
    assert report.changes == (
        Change(kind="missing", name="idna", expected="idna==3.10", line=3, path="requirements.txt"),
        # lands on the file that lacks it (a GitHub annotation on the lock, no line)
        Change(kind="extra", name="rich", found="rich==13.9.4", path="requirements.txt"),
        Change(
            kind="changed",
            name="requests",
            expected="2.32.3",
            found="2.31.0",
            line=2,
            path="requirements.txt",
        ),
    )
    assert bool(report)
    assert list(report.by_kind()) == ["missing", "extra", "changed"]
    assert report.counts() == {"missing": 1, "extra": 1, "changed": 1}


def test_missing_respects_marker(site: FakeSite) -> None:
    site("requests", "2.32.3")
    report = compare_env_to_lock(
        snap(site),
        lock(
            pkg("requests", "2.32.3"),
            pkg("pywin32", "306", marker=Marker('sys_platform == "win32"')),
            pkg("uvloop", "0.21", marker=Marker('sys_platform == "linux"')),
        ),
    )
    assert kinds(report) == [("missing", "uvloop")]


def test_ignore_allow_extra_and_tools(site: FakeSite) -> None:
    site("requests", "2.32.3")
    site("rich", "13.9.4")
    site("pip", "26.0")
    site("setuptools", "80.0")
    base = lock(pkg("requests", "2.32.3"), pkg("gone", "1.0"))
    assert kinds(compare_env_to_lock(snap(site), base)) == [
        ("missing", "gone"),
        ("extra", "rich"),
    ]
    assert kinds(compare_env_to_lock(snap(site), base, ignore=["Gone", "RICH"])) == []
    assert kinds(compare_env_to_lock(snap(site), base, allow_extra=True)) == [("missing", "gone")]
    assert kinds(compare_env_to_lock(snap(site), base, include_tools=True)) == [
        ("missing", "gone"),
        ("extra", "pip"),
        ("extra", "rich"),
        ("extra", "setuptools"),
    ]


def test_tool_pinned_in_lock_is_compared(site: FakeSite) -> None:
    site("pip", "26.0")
    report = compare_env_to_lock(snap(site), lock(pkg("pip", "24.0"), pkg("wheel", "0.45")))
    assert kinds(report) == [("changed", "pip")]


def test_unpinned_requirement_uses_specifier(site: FakeSite) -> None:
    site("requests", "2.31.0")
    ok = lock(pkg("requests", None, specifier=SpecifierSet(">=2.30")))
    bad = lock(pkg("requests", None, specifier=SpecifierSet(">=2.32")))
    assert compare_env_to_lock(snap(site), ok).changes == ()
    (change,) = compare_env_to_lock(snap(site), bad).changes
    assert (change.kind, change.expected, change.found) == ("changed", ">=2.32", "2.31.0")


def test_source_changed(site: FakeSite) -> None:
    site(
        "mylib",
        "1.0",
        direct_url={"url": "file:///src/mylib", "dir_info": {"editable": True}},
    )
    site(
        "tool",
        "2.0",
        direct_url={
            "url": "https://example.invalid/tool.git",
            "vcs_info": {"vcs": "git", "commit_id": "b" * 40},
        },
    )
    site(
        "arch",
        "1.0",
        direct_url={
            "url": "https://example.invalid/arch-1.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "1" * 64}},
        },
    )
    site(
        "plain",
        "1.0",
        direct_url={"url": "file:///wheels/plain-1.0-py3-none-any.whl", "archive_info": {}},
    )
    report = compare_env_to_lock(
        snap(site),
        lock(
            pkg("mylib", "1.0", 1),
            pkg(
                "tool",
                None,
                2,
                origin=Origin(
                    kind="vcs", vcs="git", url="https://example.invalid/tool.git", commit="a" * 40
                ),
            ),
            pkg(
                "arch",
                None,
                3,
                origin=Origin(
                    kind="archive",
                    url="https://example.invalid/arch-1.0.tar.gz",
                    archive_hash="sha256=" + "2" * 64,
                ),
            ),
            pkg(
                "plain",
                None,
                4,
                origin=Origin(kind="archive", url="file:///wheels/plain-1.0-py3-none-any.whl"),
            ),
        ),
    )
    by_name = {c.name: c for c in report.changes}
    assert kinds(report) == [
        ("source-changed", "arch"),
        ("source-changed", "mylib"),
        ("source-changed", "tool"),
    ]
    assert by_name["mylib"].detail == "from an index in one, editable directory in the other"
    assert by_name["mylib"].expected == "index"
    assert by_name["mylib"].found == "editable file:///src/mylib"
    assert by_name["tool"].detail == "another commit"
    assert by_name["arch"].detail == "another archive hash"


def test_editable_vs_not_and_url() -> None:
    a = lock(pkg("x", "1", origin=Origin(kind="directory", url="file:///a", editable=True)))
    b = lock(pkg("x", "1", origin=Origin(kind="directory", url="file:///a", editable=False)))
    c = lock(pkg("x", "1", origin=Origin(kind="directory", url="file:///b/", editable=True)))
    d = lock(pkg("x", "1", origin=Origin(kind="directory", url="file:///a/", editable=True)))
    assert [c.detail for c in compare_locks(a, b).changes] == ["editable in one, not in the other"]
    assert [c.detail for c in compare_locks(a, c).changes] == ["another URL"]
    assert compare_locks(a, d).changes == ()


def test_broken_requirement(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3>=2", "idna", requested=True)
    site("urllib3", "1.26.20")
    report = compare_env_to_lock(
        snap(site), lock(pkg("requests", "2.32.3", 5), pkg("urllib3", "1.26.20"))
    )
    assert report.changes == (
        Change(
            kind="broken",
            name="requests",
            expected="idna",
            found=None,
            detail="requests requires idna; not installed",
            line=5,
            path="requirements.txt",
        ),
        Change(
            kind="broken",
            name="requests",
            expected="urllib3>=2",
            found="urllib3==1.26.20",
            detail="requests requires urllib3>=2; 1.26.20 is installed",
            line=5,
            path="requirements.txt",
        ),
    )


def test_reclassified_is_not_drift(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3", requested=True)
    site("urllib3", "2.2.3", requested=True)
    report = compare_env_to_lock(
        snap(site),
        lock(pkg("requests", "2.32.3", top_level=True), pkg("urllib3", "2.2.3", reason="via x")),
    )
    assert report.changes == (
        Change(
            kind="reclassified",
            name="urllib3",
            expected="transitive (via x)",
            found="top-level (requested)",
            path="requirements.txt",
        ),
    )
    assert not report
    assert report.drift == ()
    assert report.without("reclassified").changes == ()


def test_lock_from_snapshot_roundtrip(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3", requested=True)
    site("urllib3", "2.2.3")
    site("pip", "26.0")
    snapshot = snap(site)
    env_lock = lock_from_snapshot(snapshot)
    assert [(p.name, str(p.version), p.top_level, p.reason) for p in env_lock.packages] == [
        ("pip", "26.0", True, "root"),
        ("requests", "2.32.3", True, "requested"),
        ("urllib3", "2.2.3", False, "via requests"),
    ]
    assert env_lock.path is None
    assert env_lock.format == "environment"
    assert [p.name for p in lock_from_snapshot(snapshot, include_tools=False).packages] == [
        "requests",
        "urllib3",
    ]
    assert compare_locks(env_lock, env_lock).changes == ()


def test_compare_locks_diff_wording() -> None:
    old = lock(pkg("a", "1.0", 1), pkg("b", "1.0", 2), path=Path("old.txt"))
    new = lock(pkg("b", "2.0", 1), pkg("c", "1.0", 2), path=Path("new.txt"))
    report = compare_locks(old, new)
    assert (report.a_label, report.b_label) == ("old.txt", "new.txt")
    assert report.changes == (
        Change(kind="missing", name="a", expected="a==1.0", line=1, path="old.txt"),
        Change(kind="extra", name="c", found="c==1.0", line=2, path="new.txt"),
        Change(kind="changed", name="b", expected="1.0", found="2.0", line=2, path="old.txt"),
    )
    assert compare_locks(old, new, a_label="A", b_label="B").a_label == "A"


def project(*deps: tuple[str, str], name: str | None = "me") -> ProjectDeclaration:
    return ProjectDeclaration(
        path=Path("pyproject.toml"),
        name=canonicalize_name(name) if name else None,
        dependencies=tuple(
            DeclaredDependency(requirement=Requirement(r), source=s) for r, s in deps
        ),
    )


def test_lock_vs_project() -> None:
    the_lock = lock(
        pkg("requests", "2.32.3", 2, top_level=True),
        pkg("rich", "12.0", 3, top_level=True, reason="declared"),
        pkg("old", "1.0", 4, top_level=True, reason="declared"),
        pkg("ipython", "8.0", 5, top_level=True, reason="requested"),
        pkg("me", "0.1", 6, top_level=True),
        pkg("urllib3", "2.2.3", 7),
    )
    decl = project(
        ("requests>=2", "dependencies"),
        ("rich>=13", "dependencies"),
        ("httpx", "optional-dependencies.http"),
        ("pywin32; sys_platform == 'win32'", "dependencies"),
        ("pytest", "dependency-groups.test"),
        ("me[http]", "dependency-groups.dev"),
    )
    report = compare_lock_to_project(the_lock, decl)
    assert report.changes == (
        Change(
            kind="missing-declared",
            name="httpx",
            expected="httpx",
            detail="declared in [optional-dependencies.http]",
            path="pyproject.toml",
        ),
        Change(
            kind="missing-declared",
            name="pytest",
            expected="pytest",
            detail="declared in [dependency-groups.test]",
            path="pyproject.toml",
        ),
        Change(
            kind="outside-specifier",
            name="rich",
            expected="rich>=13",
            found="12.0",
            detail="declared in [dependencies]",
            line=3,
            path="requirements.txt",
        ),
        Change(
            kind="stale",
            name="old",
            found="old==1.0",
            detail="no longer declared in pyproject.toml (the lock records it as declared)",
            line=4,
            path="requirements.txt",
        ),
    )
    assert report.a_label == "pyproject.toml"
    windows = {"sys_platform": "win32"}
    with_markers = compare_lock_to_project(the_lock, decl, markers=windows, ignore=["httpx"])
    assert [(c.kind, c.name) for c in with_markers.changes][:2] == [
        ("missing-declared", "pytest"),
        ("missing-declared", "pywin32"),
    ]


def test_combine_keeps_order_and_notes() -> None:
    one = Report(changes=(Change(kind="extra", name="b"),), a_label="A", b_label="B", notes=("n",))
    two = Report(
        changes=(Change(kind="missing", name="a"),), a_label="X", b_label="Y", notes=("n", "m")
    )
    merged = combine(one, two)
    assert [c.kind for c in merged.changes] == ["missing", "extra"]
    assert (merged.a_label, merged.notes) == ("A", ("n", "m"))


def test_incomplete_lock_expects_dependencies(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3>=2", requested=True)
    site("urllib3", "2.2.3", "brotli; extra == 'br'", extras=("br",))
    site("rich", "13.9.4")
    loose = lock(pkg("requests", None, 1, specifier=SpecifierSet(">=2")), complete=False)
    report = compare_env_to_lock(snap(site), loose)
    assert kinds(report) == [("extra", "rich")]
    assert report.notes == (
        "requirements.txt does not pin the whole dependency tree: packages its entries "
        "require are not reported as extra",
    )
    assert kinds(compare_env_to_lock(snap(site), replace(loose, complete=True))) == [
        ("extra", "rich"),
        ("extra", "urllib3"),
    ]


def test_only_an_entry_declared_when_locked_goes_stale() -> None:
    # pytest installed by hand (requested), a root nothing requires, one whose reason
    # the file does not record: none was ever declared, so none is stale (issue 22)
    the_lock = lock(
        pkg("pytest", "8.0", 1, top_level=True, reason="requested"),
        pkg("tool", "1.0", 2, top_level=True, reason="root"),
        pkg("unknown", "1.0", 3, top_level=True),
        pkg("old", "1.0", 4, top_level=True, reason="declared"),
    )
    assert kinds(compare_lock_to_project(the_lock, project())) == [("stale", "old")]
    assert kinds(compare_lock_to_project(the_lock, project(("old", "dependencies")))) == []


def test_a_universal_lock_is_compared_with_the_entry_that_applies(site: FakeSite) -> None:
    # uv pip compile --universal: one name per marker; the env is Python 3.11 (issue 22)
    site("click", "8.5.1")
    site("rich", "13.9.4", "click")
    universal = lock(
        pkg("click", "8.1.8", 2, marker=Marker("python_full_version < '3.10'")),
        pkg("click", "8.5.1", 4, marker=Marker("python_full_version >= '3.10'")),
        pkg("colorama", "0.4.6", 6, marker=Marker("sys_platform == 'win32'")),
        pkg("rich", "13.9.4", 8),
        complete=False,  # a file of another tool: envsnap cannot tell it is complete
    )
    report = compare_env_to_lock(snap(site), universal)
    # and no note that the file leaves something out: it pins what its entries require
    assert (report.changes, report.checked, report.notes) == ((), 2, ())
    site("click", "8.1.8", dir_name="click-8.1.8.dist-info")
    (site.root / "click-8.5.1.dist-info").rename(site.root.parent / "gone")
    (change,) = compare_env_to_lock(snap(site), universal).changes
    assert change == Change(
        kind="changed",
        name="click",
        expected="8.5.1",
        found="8.1.8",
        detail='where python_full_version >= "3.10"',
        line=4,
        path="requirements.txt",
    )


def test_the_note_about_an_incomplete_file_only_when_something_is_left_out(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3", requested=True)
    site("urllib3", "2.2.3")
    pinned = lock(pkg("requests", "2.32.3", 1), pkg("urllib3", "2.2.3", 2), complete=False)
    assert compare_env_to_lock(snap(site), pinned).notes == ()
    loose = lock(pkg("requests", "2.32.3", 1), complete=False)
    assert compare_env_to_lock(snap(site), loose).notes == (
        "requirements.txt does not pin the whole dependency tree: packages its entries "
        "require are not reported as extra",
    )


def test_an_entry_of_an_included_file_is_reported_on_that_file(site: FakeSite) -> None:
    site("requests", "2.31.0")
    included = pkg("requests", "2.32.3", 3, file=Path("base.txt"))
    (change,) = compare_env_to_lock(snap(site), lock(included)).changes
    assert (change.kind, change.path, change.line) == ("changed", "base.txt", 3)


def test_an_unmet_extra_names_every_link_of_its_chain(site: FakeSite) -> None:
    site("celery", "5.4.0", "kombu", 'kombu[redis]; extra == "redis"', extras=["redis"])
    site(
        "kombu",
        "5.4.0",
        'redis>=4; extra == "redis"',
        'packaging; extra == "redis"',
        extras=["redis"],
    )
    site("redis", "5.0.0")
    asks = lock(
        pkg("celery", "5.4.0", 1, extras=(canonicalize_name("redis"),)),
        pkg("kombu", "5.4.0", 2),
        pkg("redis", "5.0.0", 3),
    )
    broken = [c for c in compare_env_to_lock(snap(site), asks).changes if c.kind == "broken"]
    assert [(c.name, c.expected, c.detail, c.line) for c in broken] == [
        (
            "celery",
            "celery[redis]",
            "requirements.txt asks for celery[redis], which requires kombu[redis], "
            "which requires packaging; it is not installed",
            1,
        )
    ]
