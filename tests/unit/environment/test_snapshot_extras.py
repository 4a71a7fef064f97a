"""Extras inference as explanation (issue 12): nested extras, REQUESTED signal, no false alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envsnap.compare.drift import compare_env_to_lock, lock_from_snapshot
from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import Reason, Snapshot, build_snapshot
from envsnap.lockfiles import DumpOptions
from envsnap.lockfiles.requirements.write import dump

if TYPE_CHECKING:
    from pathlib import Path

    from support.fake_site import FakeSite


def snap(site: FakeSite) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings)


def kinds(snapshot: Snapshot) -> dict[str, str]:
    return {name: reason.describe() for name, reason in snapshot.reasons.items()}


def top_lines(snapshot: Snapshot) -> list[str]:
    text = dump(snapshot, DumpOptions(top_level_only=True))
    return [line for line in text.splitlines() if not line.startswith("#")]


def nested(site: FakeSite, *, installer: str, requested: bool) -> None:
    """app[x] -> b[x] -> c[x] -> d, three levels; only app was named (pip) or all (uv)."""
    site("app", "1.0", 'b[x]; extra == "x"', extras=["x"], requested=True, installer=installer)
    site("b", "1.0", 'c[x]; extra == "x"', extras=["x"], requested=requested, installer=installer)
    site("c", "1.0", 'd; extra == "x"', extras=["x"], requested=requested, installer=installer)
    site("d", "1.0", requested=requested, installer=installer)


def test_nested_extras_explain_roots_pip(site: FakeSite) -> None:
    nested(site, installer="pip", requested=False)
    result = snap(site)
    assert kinds(result) == {
        "app": "requested",
        "b": "via app[x]",
        "c": "via b[x]",
        "d": "via c[x]",
    }
    assert result.inferred_extras == {"app": frozenset({"x"})}
    assert result.extras == {
        "app": frozenset({"x"}),
        "b": frozenset({"x"}),
        "c": frozenset({"x"}),
    }
    assert result.explains == {"app[x]": ("b", "c", "d")}
    assert top_lines(result) == ["app[x]==1.0"]
    assert result.unsatisfied == ()


def test_nested_extras_without_requested_signal_keep_the_roots_visible(site: FakeSite) -> None:
    # uv writes REQUESTED everywhere: b, c, d may have been named; they stay top-level,
    # the extra is still written, and the other reading is recorded
    nested(site, installer="uv", requested=True)
    result = snap(site)
    assert kinds(result) == {"app": "root", "b": "root", "c": "root", "d": "root"}
    assert result.reasons["d"] == Reason(kind="root", explained_by=("app[x]",))
    assert top_lines(result) == ["app[x]==1.0", "b==1.0", "c==1.0", "d==1.0"]
    assert result.summary() == "top-level: 4 (4 roots); extras inferred: app[x]"
    assert result.explain("d").splitlines() == [
        "d 1.0: top-level (root)",
        "  REQUESTED: yes, but uv writes REQUESTED into every distribution: no signal",
        "  INSTALLER: uv",
        "  required by:",
        '    c[x] (d; extra == "x")',
        "  extras in effect: none",
        "  also explained by app[x]: kept top-level because its REQUESTED file carries no "
        "signal and the user may have named it; the other reading, which regenerates the "
        "environment too: transitive via app[x]",
    ]


def test_an_extra_never_demotes_a_requested_or_declared_package(site: FakeSite) -> None:
    # X[django,s3] is satisfied, but Django and boto3 were named by the user
    site("x", "1.0", 'django; extra == "django"', 'boto3; extra == "s3"', extras=["django", "s3"])
    site("django", "5.0", requested=True)
    site("boto3", "1.0", requested=True)
    result = snap(site)
    assert result.inferred_extras == {}
    assert kinds(result) == {"boto3": "requested", "django": "requested", "x": "root"}
    assert top_lines(result) == ["boto3==1.0", "django==5.0", "x==1.0"]


def test_self_referencing_extra_is_not_inferred_because_the_package_is_installed(
    site: FakeSite,
) -> None:
    site(
        "p",
        "1.0",
        'p[io,viz]; extra == "all"',
        'xio; extra == "io"',
        'yviz; extra == "viz"',
        extras=["all", "io", "viz"],
        requested=True,
    )
    site("xio", "1.0")  # a root: p[io] explains it, p[all] cannot (yviz is missing)
    result = snap(site)
    assert result.inferred_extras == {"p": frozenset({"io"})}
    assert result.unsatisfied == ()
    assert kinds(result) == {"p": "requested", "xio": "via p[io]"}
    assert top_lines(result) == ["p[io]==1.0"]


def test_self_referencing_extra_with_nothing_to_explain(site: FakeSite) -> None:
    site(
        "p",
        "1.0",
        'p[io]; extra == "all"',
        'xio; extra == "io"',
        extras=["all", "io"],
        requested=True,
    )
    site("xio", "1.0", requested=True)
    result = snap(site)
    assert (result.inferred_extras, result.extras, result.unsatisfied) == ({}, {}, ())


def test_an_extra_a_dependent_asks_for_is_checked(site: FakeSite) -> None:
    site("p", "1.0", 'p[io]; extra == "all"', 'xio; extra == "io"', extras=["all", "io"])
    site("q", "1.0", "p[all]", requested=True)
    result = snap(site)
    assert [u.describe() for u in result.unsatisfied] == [
        'p[io] requires xio; extra == "io", but it is not installed'
    ]


def test_the_extra_explaining_most_roots_wins(site: FakeSite) -> None:
    site(
        "p",
        "1.0",
        'p[io,viz]; extra == "all"',
        'xio; extra == "io"',
        'yviz; extra == "viz"',
        extras=["all", "io", "viz"],
        requested=True,
    )
    site("xio", "1.0")
    site("yviz", "1.0")
    result = snap(site)
    assert result.inferred_extras == {"p": frozenset({"all"})}
    assert top_lines(result) == ["p[all]==1.0"]
    assert kinds(result) == {"p": "requested", "xio": "via p[io]", "yviz": "via p[viz]"}


def test_tooling_roots_are_not_explained(site: FakeSite) -> None:
    site("tool", "1.0", 'setuptools; extra == "build"', extras=["build"], requested=True)
    site("setuptools", "75.0")
    assert snap(site).inferred_extras == {}


def test_an_editable_owner_gets_no_inferred_extra(site: FakeSite, tmp_path: object) -> None:
    site(
        "proj",
        "0.1",
        'pytest; extra == "dev"',
        extras=["dev"],
        requested=True,
        direct_url={"url": "file:///src/proj", "dir_info": {"editable": True}},
    )
    site("pytest", "8.0")
    result = snap(site)
    assert result.inferred_extras == {}
    assert kinds(result) == {"proj": "requested", "pytest": "root"}


def test_fresh_freeze_checks_clean_and_carries_extras(site: FakeSite) -> None:
    nested(site, installer="pip", requested=False)
    site("p", "1.0", 'p[io]; extra == "all"', 'xio; extra == "io"', extras=["all", "io"])
    result = snap(site)
    env_lock = lock_from_snapshot(result)
    assert env_lock.get("app") is not None
    assert env_lock.get("app").extras == ("x",)  # type: ignore[union-attr]
    report = compare_env_to_lock(result, env_lock)
    assert not report, report.changes


def test_a_file_of_another_tool_is_not_held_to_extras(site: FakeSite) -> None:
    """uv and pip-compile drop their inputs' extras: ``app==1.0`` is not ``app[x]`` missing."""
    from dataclasses import replace  # noqa: PLC0415

    nested(site, installer="pip", requested=False)
    result = snap(site)
    fresh = lock_from_snapshot(result)
    foreign = replace(
        fresh,
        format="requirements",
        written_by_envsnap=False,
        complete=False,
        packages=tuple(replace(p, extras=()) for p in fresh.packages),
    )
    assert not compare_env_to_lock(result, foreign)
    ours = replace(foreign, written_by_envsnap=True)  # an envsnap --top-level-only file
    assert [c.name for c in compare_env_to_lock(result, ours).changes] == ["app"]


def test_check_reports_other_extras_and_extras_the_env_lacks(site: FakeSite) -> None:
    from dataclasses import replace  # noqa: PLC0415

    from packaging.utils import canonicalize_name  # noqa: PLC0415

    from envsnap.lock import Lock, LockedPackage  # noqa: PLC0415

    nested(site, installer="pip", requested=False)
    site("p", "1.0", 'xio; extra == "io"', extras=["io"], requested=True)
    result = snap(site)
    fresh = lock_from_snapshot(result)
    app = fresh.get("app")
    assert app is not None
    stale = replace(
        fresh,
        packages=tuple(replace(p, extras=()) if p.name == "app" else p for p in fresh.packages),
    )
    report = compare_env_to_lock(result, stale)
    # a lock that pins every package: the packages are compared, the extras are information
    assert [(c.kind, c.name, c.expected, c.found, c.is_drift) for c in report.changes] == [
        ("extras-changed", "app", "app", "app[x]", False)
    ]
    # a top-level-only file without the extra would not install what it brings in
    partial = compare_env_to_lock(result, replace(stale, complete=False))
    assert [(c.kind, c.is_drift) for c in partial.changes if c.name == "app"] == [
        ("extras-changed", True)
    ]
    asks = Lock(
        path=None,
        format="requirements",
        packages=(
            LockedPackage(
                name=canonicalize_name("p"),
                display_name="p",
                version=None,
                extras=(canonicalize_name("io"),),
            ),
        ),
    )
    broken = [c for c in compare_env_to_lock(result, asks).changes if c.kind == "broken"]
    assert [(c.name, c.expected, c.detail) for c in broken] == [
        (
            "p",
            "p[io]",
            "requirements asks for p[io], which requires xio; it is not installed",
        )
    ]


def test_declared_but_not_installed_is_no_owner(site: FakeSite, tmp_path: Path) -> None:
    from envsnap.environment.project import read_project  # noqa: PLC0415

    site("web", "1.0", 'ujson; extra == "fast"', extras=["fast"])
    site("ujson", "5.0")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "me"\ndependencies = ["absent", "web"]\n')
    dists, _ = read_distributions([site.root])
    result = build_snapshot(site.environment(), dists, project=read_project(pyproject))
    assert kinds(result) == {"ujson": "via web[fast]", "web": "declared"}
    assert result.top_level_extras == {"web": frozenset({"fast"})}


def test_extras_round_trip_through_json_and_pylock(site: FakeSite, tmp_path: Path) -> None:
    from envsnap.lockfiles import snapshot_json  # noqa: PLC0415
    from envsnap.lockfiles.pylock import read as pylock_reader  # noqa: PLC0415
    from envsnap.lockfiles.pylock import write as pylock  # noqa: PLC0415

    def archive(name: str) -> dict[str, object]:
        return {
            "url": f"https://downloads.example/{name}-1.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "ab" * 32}},
        }

    site("app", "1.0", 'dep; extra == "x"', extras=["x"], requested=True, direct_url=archive("app"))
    site("dep", "1.0", direct_url=archive("dep"))
    result = snap(site)
    data = snapshot_json.to_dict(result, DumpOptions())
    assert [(p["name"], p["top_level_extras"], p["via"]) for p in data["packages"]] == [
        ("app", ["x"], []),
        ("dep", [], ["app[x]"]),
    ]
    out = tmp_path / "pylock.toml"
    out.write_text(pylock.dump(result, DumpOptions(output_dir=tmp_path)), encoding="utf-8")
    assert '[tool.envsnap.extras]\napp = ["x"]\n' in out.read_text(encoding="utf-8")
    lock = pylock_reader.load(out)
    assert [(p.name, p.extras, p.top_level) for p in lock.packages] == [
        ("app", ("x",), True),
        ("dep", (), False),
    ]
    assert not compare_env_to_lock(result, lock)


@pytest.mark.parametrize(
    "marker",
    [
        'extra == "X_Y"',  # PEP 685: compared normalized
        '"x-y" == extra',  # reversed: read the slow way
        'extra == "x-y" or extra == "extras"',  # a name holding the word "extra"
        'python_version >= "3" and extra == "x.y"',
    ],
)
def test_extra_markers_in_any_form(site: FakeSite, marker: str) -> None:
    site("app", "1.0", f"dep; {marker}", 'other; extra != "x-y"', extras=["x-y"], requested=True)
    site("dep", "1.0")
    site("other", "1.0")  # applies without the extra (extra != "x-y" holds for "")
    result = snap(site)
    assert result.inferred_extras == {"app": frozenset({"x-y"})}
    assert kinds(result) == {"app": "requested", "dep": "via app[x-y]", "other": "via app"}
