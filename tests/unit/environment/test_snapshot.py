"""The snapshot engine on fake trees: graph, markers, extras, cycles, classification."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from envsnap.environment.distributions import read_distributions
from envsnap.environment.project import read_project
from envsnap.environment.snapshot import (
    Edge,
    Reason,
    Snapshot,
    Unsatisfied,
    build_snapshot,
    take_snapshot,
)
from support.fake_site import LINUX_311, FakeSite


def snap(site: FakeSite, **kwargs: object) -> Snapshot:
    markers = kwargs.pop("markers", None)
    dists, warnings = read_distributions([site.root])
    env = site.environment(markers=markers) if markers is not None else site.environment()
    return build_snapshot(env, dists, warnings=warnings, **kwargs)  # type: ignore[arg-type]


def kinds(snapshot: Snapshot) -> dict[str, str]:
    return {name: reason.describe() for name, reason in snapshot.reasons.items()}


def test_chain_root_and_via(site: FakeSite) -> None:
    site("requests", "2.32.3", "urllib3<3,>=1.21.1", "certifi>=2017.4.17", "idna<4,>=2.5")
    site("urllib3", "2.2.3")
    site("certifi", "2024.8.30")
    site("idna", "3.10")
    site("rich", "13.9.4", "idna")
    result = snap(site)
    assert kinds(result) == {
        "certifi": "via requests",
        "idna": "via requests, rich",
        "requests": "root",
        "rich": "root",
        "urllib3": "via requests",
    }
    assert [(e.parent, e.child) for e in result.edges] == [
        ("requests", "certifi"),
        ("requests", "idna"),
        ("requests", "urllib3"),
        ("rich", "idna"),
    ]
    assert result.unsatisfied == ()
    assert [e.child for e in result.children("requests")] == ["certifi", "idna", "urllib3"]
    assert [e.parent for e in result.parents("idna")] == ["requests", "rich"]
    assert result.get("Requests") is not None
    assert result.get("absent") is None


def test_via_uses_display_names_and_case_insensitive_order(site: FakeSite) -> None:
    site("Zeta", "1.0", "shared")
    site("alpha", "1.0", "shared")
    site("shared", "1.0")
    assert snap(site).reasons["shared"] == Reason(kind="transitive", via=("alpha", "Zeta"))


def test_markers_are_evaluated_for_the_target_not_the_host(site: FakeSite) -> None:
    site("app", "1.0", 'tomli; python_version < "3.11"', 'pywin32; sys_platform == "win32"')
    site("tomli", "2.0.1")
    site("pywin32", "306")
    old_windows = {**LINUX_311, "python_version": "3.8", "sys_platform": "win32"}
    on_target = snap(site, markers=old_windows)
    assert kinds(on_target) == {"app": "root", "pywin32": "via app", "tomli": "via app"}
    on_linux = snap(site)
    assert kinds(on_linux) == {"app": "root", "pywin32": "root", "tomli": "root"}


def test_marker_that_cannot_be_evaluated_warns(site: FakeSite) -> None:
    info = site("odd", "1.0", 'dep; python_version ~= "foo"')
    site("dep", "1.0")
    result = snap(site)
    assert kinds(result)["dep"] == "root"
    assert [(w.path, w.message) for w in result.warnings] == [
        (
            info,
            "marker 'python_version ~= \"foo\"' cannot be evaluated: "
            "Undefined <Op('~=')> on '3.11' and 'foo'.",
        )
    ]


def test_extras_followed_only_when_a_dependent_asks(site: FakeSite) -> None:
    site("app", "1.0", "lib[fast]")
    site(
        "lib",
        "1.0",
        'speedups; extra == "fast"',
        'docs-tool; extra == "docs"',
        extras=["fast", "docs"],
    )
    site("speedups", "1.0")
    site("docs-tool", "1.0")
    result = snap(site)
    assert kinds(result) == {
        "app": "root",
        "docs-tool": "root",
        "lib": "via app",
        "speedups": "via lib[fast]",
    }
    assert result.extras == {"lib": frozenset({"fast"})}
    assert result.inferred_extras == {}
    assert (
        Edge(
            parent="lib",
            child="speedups",
            requirement=Requirement('speedups; extra == "fast"'),
            extra="fast",
        ).label
        == "lib[fast]"
    )


def test_extra_names_are_normalized_pep685(site: FakeSite) -> None:
    site("app", "1.0", "lib[Fast_Path]")
    site("lib", "1.0", 'speedups; extra == "fast.path"', extras=["Fast.Path"])
    site("speedups", "1.0")
    assert kinds(snap(site))["speedups"] == "via lib[fast-path]"


def test_extra_of_an_extra_is_followed(site: FakeSite) -> None:
    site("app", "1.0", "lib[all]")
    site(
        "lib",
        "1.0",
        'lib[fast]; extra == "all"',
        'speedups; extra == "fast"',
        extras=["all", "fast"],
    )
    site("speedups", "1.0")
    result = snap(site)
    assert kinds(result) == {"app": "root", "lib": "via app", "speedups": "via lib[fast]"}
    assert result.extras == {"lib": frozenset({"all", "fast"})}
    # no self edge for lib -> lib[fast]
    assert [(e.parent, e.child) for e in result.edges] == [("app", "lib"), ("lib", "speedups")]


def test_unconditional_parent_is_named_without_its_extra(site: FakeSite) -> None:
    site("app", "1.0", "dep", 'dep[x]; extra == "full"', extras=["full"])
    site("dep", "1.0")
    result = snap(site)
    assert result.reasons["dep"] == Reason(kind="transitive", via=("app",))


def test_inferred_extras_for_roots(site: FakeSite) -> None:
    site(
        "web",
        "1.0",
        'ujson; extra == "fast"',
        'missing-dep; extra == "ext"',
        'setuptools; extra == "build"',
        'rich<14; extra == "cli"',
        extras=["fast", "ext", "build", "empty", "cli"],
    )
    site("ujson", "5.0")
    site("rich", "15.0")
    site("setuptools", "75.0")
    result = snap(site)
    assert result.inferred_extras == {"web": frozenset({"fast"})}
    assert result.extras == {"web": frozenset({"fast"})}
    assert kinds(result) == {
        "rich": "root",
        "setuptools": "root",
        "ujson": "via web[fast]",
        "web": "root",
    }


def test_an_extra_adding_nothing_to_the_base_is_not_inferred(site: FakeSite) -> None:
    site("tool", "1.0", "helper", 'helper>=1; extra == "speed"', extras=["speed"])
    site("helper", "1.0")
    result = snap(site)
    assert result.inferred_extras == {}
    assert kinds(result) == {"helper": "via tool", "tool": "root"}


def test_two_roots_explaining_each_other_keep_one_line(site: FakeSite) -> None:
    # a tie: either reading regenerates the env; the first name wins, and the
    # root that carries the inferred extra is never explained away itself
    site("aaa", "1.0", 'zzz; extra == "z"', extras=["z"])
    site("zzz", "1.0", 'aaa; extra == "a"', extras=["a"])
    result = snap(site)
    assert result.inferred_extras == {"aaa": frozenset({"z"})}
    assert result.top_level_extras == {"aaa": frozenset({"z"})}
    assert kinds(result) == {"aaa": "root", "zzz": "via aaa[z]"}


def test_unsatisfied_requirements(site: FakeSite) -> None:
    site("app", "1.0", "lib>=2", "gone", 'extra-only; extra == "x"', extras=["x"])
    site("lib", "1.5")
    result = snap(site)
    assert result.unsatisfied == (
        Unsatisfied(dependent="app", requirement=Requirement("lib>=2"), installed=Version("1.5")),
        Unsatisfied(dependent="app", requirement=Requirement("gone")),
    )
    # an edge is still drawn to the wrong version: it is what is installed
    assert kinds(result) == {"app": "root", "lib": "via app"}


def test_prerelease_satisfies_a_plain_specifier(site: FakeSite) -> None:
    site("app", "1.0", "lib>=1")
    site("lib", "2.0b1")
    assert snap(site).unsatisfied == ()


def test_sphinx_like_cycle_gets_exactly_one_root(site: FakeSite) -> None:
    site(
        "Sphinx",
        "7.4.7",
        "sphinxcontrib-applehelp",
        "sphinxcontrib-htmlhelp>=2.0.0",
        "sphinxcontrib-serializinghtml>=1.1.9",
        "alabaster~=0.7.14",
    )
    for plugin in ("sphinxcontrib-applehelp", "sphinxcontrib-htmlhelp"):
        site(plugin, "2.0.0", "Sphinx>=5")
    site("sphinxcontrib-serializinghtml", "2.0.0", "Sphinx>=5")
    site("alabaster", "0.7.16")
    result = snap(site)
    assert kinds(result) == {
        "alabaster": "via Sphinx",
        "sphinx": "root",
        "sphinxcontrib-applehelp": "via Sphinx",
        "sphinxcontrib-htmlhelp": "via Sphinx",
        "sphinxcontrib-serializinghtml": "via Sphinx",
    }


def test_cycle_below_a_top_level_package_needs_no_extra_root(site: FakeSite) -> None:
    site("docs", "1.0", "sphinx")
    site("sphinx", "7.0", "sphinxcontrib-x")
    site("sphinxcontrib-x", "1.0", "sphinx")
    assert kinds(snap(site)) == {
        "docs": "root",
        "sphinx": "via docs, sphinxcontrib-x",
        "sphinxcontrib-x": "via sphinx",
    }


def test_cycle_tie_is_broken_by_the_alphabetically_first_name(site: FakeSite) -> None:
    site("abc", "1.0", "ab")
    site("ab", "1.0", "abc")
    assert kinds(snap(site)) == {"ab": "root", "abc": "via ab"}


def test_two_separate_cycles_get_one_root_each(site: FakeSite) -> None:
    site("a1", "1.0", "a2")
    site("a2", "1.0", "a1")
    site("b1", "1.0", "b2", "b3")
    site("b2", "1.0", "b1")
    site("b3", "1.0", "b2")
    result = snap(site)
    assert sorted(n for n, r in result.reasons.items() if r.top_level) == ["a1", "b1"]


def test_package_reached_from_a_cycle_is_transitive(site: FakeSite) -> None:
    site("p", "1.0", "q")
    site("q", "1.0", "p", "leaf")
    site("leaf", "1.0")
    # q has more dependencies inside the cycle's part of the graph than p
    assert kinds(snap(site)) == {"leaf": "via q", "p": "via q", "q": "root"}


def test_self_dependency_is_not_a_parent(site: FakeSite) -> None:
    site("selfish", "1.0", "selfish[x]; extra == 'y'", extras=["x", "y"])
    result = snap(site)
    assert result.edges == ()
    assert kinds(result) == {"selfish": "root"}


def test_requested_by_pip_is_top_level(site: FakeSite) -> None:
    site("app", "1.0", "lib")
    site("lib", "1.0", requested=True)
    assert kinds(snap(site)) == {"app": "root", "lib": "requested"}
    assert Reason(kind="requested").top_level is True


def test_uv_requested_everywhere_does_not_make_all_top_level(site: FakeSite) -> None:
    site("app", "1.0", "lib", installer="uv", requested=True)
    site("lib", "1.0", "leaf", installer="uv", requested=True)
    site("leaf", "1.0", installer="uv", requested=True)
    assert kinds(snap(site)) == {"app": "root", "leaf": "via lib", "lib": "via app"}


def test_uv_installer_name_is_case_insensitive(site: FakeSite) -> None:
    site("app", "1.0", "lib")
    site("lib", "1.0", installer="UV", requested=True)
    assert kinds(snap(site))["lib"] == "via app"


def test_declared_beats_requested_and_transitive(site: FakeSite, tmp_path: Path) -> None:
    site("app", "1.0", "lib", requested=True)
    site("lib", "1.0")
    site("other", "1.0")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "me"\ndependencies = ["LIB>=1", "app"]\n', encoding="utf-8"
    )
    result = snap(site, project=read_project(pyproject))
    assert kinds(result) == {"app": "declared", "lib": "declared", "other": "root"}
    assert result.project is not None


def test_pkg_resources_0_0_0_is_always_dropped(site: FakeSite) -> None:
    site("pkg_resources", "0.0.0", requested=True)
    site("app", "1.0", "pkg-resources")
    result = snap(site)
    assert [d.name for d in result.distributions] == ["app"]
    assert [d.name for d in result.listed(include_tools=True)] == ["app"]


def test_a_real_pkg_resources_version_is_kept(site: FakeSite) -> None:
    site("pkg-resources", "1.0")
    assert [str(d.version) for d in snap(site).distributions] == ["1.0"]


def test_tools_hidden_unless_asked_and_exclude(site: FakeSite) -> None:
    for tool in ("pip", "setuptools", "wheel", "distribute"):
        site(tool, "1.0", requested=True)
    site("Keep_Me", "1.0")
    site("drop-me", "1.0")
    result = snap(site)
    assert [d.name for d in result.listed()] == ["drop-me", "keep-me"]
    assert [d.name for d in result.listed(exclude=["Drop.Me"])] == ["keep-me"]
    assert [d.name for d in result.listed(include_tools=True)] == [
        "distribute",
        "drop-me",
        "keep-me",
        "pip",
        "setuptools",
        "wheel",
    ]


def test_base_packages_listed_only_with_include_system(site: FakeSite, tmp_path: Path) -> None:
    site("own", "1.0", "basedep")
    base = FakeSite(tmp_path / "base")
    base("basedep", "1.0")
    dists, _ = read_distributions([site.root], [base.root])
    env = site.environment(base_site_packages=(base.root,), include_system_site_packages=True)
    without = build_snapshot(env, dists)
    assert [d.name for d in without.listed()] == ["own"]
    assert without.unsatisfied == ()
    assert kinds(without) == {"basedep": "via own", "own": "root"}
    with_base = build_snapshot(env, dists, include_system=True)
    assert [d.name for d in with_base.listed()] == ["basedep", "own"]


def test_take_snapshot_with_a_probed_environment(site: FakeSite, tmp_path: Path) -> None:
    site("own", "1.0")
    base = FakeSite(tmp_path / "base")
    base("basepkg", "1.0")
    env = site.environment(base_site_packages=(base.root,), include_system_site_packages=True)
    result = take_snapshot(environment=env)
    assert [d.name for d in result.distributions] == ["basepkg", "own"]
    assert [d.name for d in result.listed()] == ["own"]
    isolated = site.environment(base_site_packages=(base.root,), include_system_site_packages=False)
    assert [d.name for d in take_snapshot(environment=isolated).distributions] == ["own"]


def test_warnings_are_carried_into_the_snapshot(site: FakeSite) -> None:
    bad = site("bad", "x.y.z")
    site("good", "1.0")
    result = snap(site)
    assert [str(w) for w in result.warnings] == [f"{bad}: invalid version 'x.y.z': skipped"]
    assert [d.name for d in result.distributions] == ["good"]


def test_reason_describe() -> None:
    assert Reason(kind="root").describe() == "root"
    assert Reason(kind="transitive", via=("a", "b[x]")).describe() == "via a, b[x]"
    assert Reason(kind="transitive").top_level is False


@pytest.mark.parametrize("order", [0, 1])
def test_result_is_independent_of_input_order(site: FakeSite, order: int) -> None:
    site("a", "1.0", "b", "c")
    site("b", "1.0", "c")
    site("c", "1.0", "a")
    dists, _ = read_distributions([site.root])
    if order:
        dists = list(reversed(dists))
    result = build_snapshot(site.environment(), dists)
    assert kinds(result) == {"a": "root", "b": "via a", "c": "via a, b"}


def test_public_api_take_snapshot(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    import envsnap  # noqa: PLC0415
    import envsnap.environment.snapshot as module  # noqa: PLC0415

    site("demo", "1.0")
    env = site.environment()
    monkeypatch.setattr(module, "probe", lambda interpreter, started: env)
    monkeypatch.setattr(module, "find_interpreter", lambda python: Path(str(python)))
    first = envsnap.take_snapshot("anything")
    second = envsnap.take_snapshot("anything", include_system=True)
    assert envsnap.Snapshot is module.Snapshot
    assert [d.name for d in first.distributions] == ["demo"]
    assert second.include_system is True


def test_extra_a_root_asks_of_itself_is_not_inferred_again(site: FakeSite) -> None:
    site("solo", "1.0", "solo[x]", 'helper; extra == "x"', extras=["x"])
    site("helper", "1.0")
    result = snap(site)
    assert result.extras == {"solo": frozenset({"x"})}
    assert result.inferred_extras == {}
    assert kinds(result) == {"helper": "via solo[x]", "solo": "root"}


def test_extras_the_project_declares_are_followed(site: FakeSite, tmp_path: Path) -> None:
    site("requests", "2.32.3", 'PySocks!=1.5.7,>=1.5.6; extra == "socks"', extras=["socks"])
    site("pysocks", "1.7.1")
    site("tomli", "2.0.1")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "me"\ndependencies = ["requests[SOCKS]", '
        "\"tomli[x]; python_version < '3.0'\", 'absent[y]', \"odd[z]; python_version ~= 'q'\"]\n",
        encoding="utf-8",
    )
    result = snap(site, project=read_project(pyproject))
    assert kinds(result) == {
        "pysocks": "via requests[socks]",
        "requests": "declared",
        "tomli": "declared",
    }
    assert result.extras == {"requests": frozenset({"socks"})}
    assert result.inferred_extras == {}


# ---- Requires-Dist parsed when the graph needs a line ------------------------------------


def lazy_snap(site: FakeSite) -> Snapshot:
    """Read as take_snapshot reads: Requires-Dist left to the graph."""
    dists, warnings = read_distributions([site.root], parse_requires=False)
    return build_snapshot(site.environment(), dists, warnings=warnings)


def test_a_bad_line_of_an_extra_nobody_asks_for_is_not_parsed(site: FakeSite) -> None:
    site(
        "lib",
        "1.0",
        'fast (>=1.0.*) ; extra == "speed"',
        "dep>=1",
        extras=["speed"],
        requested=True,  # no root to explain, so no extra is looked at
    )
    site("dep", "1.0")
    result = lazy_snap(site)
    assert result.warnings == ()
    assert kinds(result) == {"dep": "via lib", "lib": "requested"}


def test_a_bad_line_of_an_extra_in_effect_warns_as_reading_did(site: FakeSite) -> None:
    lib = site("lib", "1.0", 'fast (>=1.0.*) ; extra == "speed"', extras=["speed"])
    site("app", "1.0", "lib[speed]")
    eager = snap(site)  # read_distributions parses every line and says it once
    lazy = lazy_snap(site)
    assert [str(w) for w in lazy.warnings] == [str(w) for w in eager.warnings]
    [warning] = lazy.warnings
    assert warning.path == lib
    assert warning.message.startswith(
        "invalid Requires-Dist 'fast (>=1.0.*) ; extra == \"speed\"' skipped: "
    )
    assert kinds(lazy) == kinds(eager) == {"app": "root", "lib": "via app"}


def test_a_bad_unconditional_line_warns_once_however_it_is_read(site: FakeSite) -> None:
    lib = site("lib", "1.0", "broken (>=1.0.*)", "dep")
    site("dep", "1.0")
    for result in (snap(site), lazy_snap(site)):
        assert [w.path for w in result.warnings] == [lib]
        assert result.warnings[0].message.startswith("invalid Requires-Dist 'broken (>=1.0.*)'")


def test_an_extra_looked_at_for_inference_warns_about_its_bad_line(site: FakeSite) -> None:
    """Inferring extras walks them all: a bad line met on the way is said."""
    lib = site(
        "lib", "1.0", 'helper; extra == "more"', 'gone (>=1.0.*) ; extra == "more"', extras=["more"]
    )
    site("helper", "1.0")
    result = lazy_snap(site)
    assert [w.path for w in result.warnings] == [lib]
    assert result.inferred_extras == {"lib": frozenset({"more"})}
    assert kinds(result) == {"helper": "via lib[more]", "lib": "root"}
