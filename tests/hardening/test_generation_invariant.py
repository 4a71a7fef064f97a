"""The generation invariant (issue 12) as a property over generated dependency graphs.

A graph of packages with base requirements and extras (nested ``a[x]`` ->
``b[y]``, self-referencing ``p[all]`` -> ``p[io]``) is generated; a user asks
for some of them, with extras; a small model resolver installs what pip would
(base requirements, plus the requirements of every extra asked for, followed
to a fixpoint) and a fake site-packages is written for it, with REQUESTED
files as pip writes them (only what was named) or as uv does (everywhere).

Then the top-level lines envsnap writes, *with their extras*, resolved by the
same model resolver (the full freeze as constraints: every version is the
installed one), must give back exactly the installed set. On pip-made
environments the top-level names must be exactly the names the user asked
for, and ``check`` of the environment against its own freeze must be clean.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from envsnap.compare.drift import compare_env_to_lock, lock_from_snapshot
from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import build_snapshot
from support.fake_site import FakeSite

NAMES = [f"pkg{i}" for i in range(8)]
EXTRAS = ["x", "y", "all"]


@dataclass(frozen=True)
class Spec:
    """One package: base requirements and the requirements of each extra."""

    base: tuple[tuple[str, tuple[str, ...]], ...]
    extras: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[str, Spec], list[tuple[str, tuple[str, ...]]]]:
    """A package graph (base requirements point to later names: no base cycle) and a request."""
    size = draw(st.integers(min_value=2, max_value=len(NAMES)))
    names = NAMES[:size]
    specs: dict[str, Spec] = {}
    for i, name in enumerate(names):
        later = names[i + 1 :]
        own_extras = draw(st.lists(st.sampled_from(EXTRAS), unique=True, max_size=2))
        base = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(later), st.lists(st.sampled_from(EXTRAS), max_size=1)
                ).map(lambda t: (t[0], tuple(t[1]))),
                max_size=2,
                unique_by=lambda t: t[0],
            )
            if later
            else st.just([])
        )
        extras: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        for extra in own_extras:
            # any package, itself included (``p[all]`` requires ``p[x]``), with extras
            reqs = draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(names), st.lists(st.sampled_from(EXTRAS), max_size=1)
                    ).map(lambda t: (t[0], tuple(t[1]))),
                    min_size=1,
                    max_size=2,
                    unique_by=lambda t: t[0],
                )
            )
            extras[extra] = tuple(r for r in reqs if r[0] != name or r[1])
        specs[name] = Spec(base=tuple(base), extras=extras)
    asked = draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.lists(st.sampled_from(EXTRAS), max_size=2)),
            min_size=1,
            max_size=3,
            unique_by=lambda t: t[0],
        )
    )
    request = [(n, tuple(sorted({e for e in ex if e in specs[n].extras}))) for n, ex in asked]
    return specs, request


def resolve(specs: dict[str, Spec], lines: list[tuple[str, tuple[str, ...]]]) -> set[str]:
    """The model resolver: what installing ``lines`` brings in (markers: ``extra`` only)."""
    seen: set[tuple[str, str | None]] = set()
    queue: list[tuple[str, str | None]] = []
    for name, extras in lines:
        queue += [(name, None), *((name, e) for e in extras)]
    while queue:
        item = queue.pop()
        if item in seen:
            continue
        seen.add(item)
        name, extra = item
        spec = specs[name]
        reqs = spec.base if extra is None else spec.extras.get(extra, ())
        for child, child_extras in reqs:
            queue += [(child, None), *((child, e) for e in child_extras)]
    return {name for name, _ in seen}


def requirement(child: str, extras: tuple[str, ...], extra: str | None) -> str:
    text = child + (f"[{','.join(extras)}]" if extras else "")
    return text + (f'; extra == "{extra}"' if extra else "")


def write_site(
    root: Path, specs: dict[str, Spec], installed: set[str], named: set[str], *, uv: bool
) -> None:
    site = FakeSite(root)
    for name in sorted(installed):
        spec = specs[name]
        lines = [requirement(c, x, None) for c, x in spec.base]
        for extra, reqs in spec.extras.items():
            lines += [requirement(c, x, extra) for c, x in reqs]
        site(
            name,
            "1.0",
            *lines,
            extras=sorted(spec.extras),
            requested=uv or name in named,
            installer="uv" if uv else "pip",
        )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), uv=st.booleans())
# pkg1[x] also explains pkg0, but pkg1 is no name the user typed: pkg3[x] must win
@example(
    graph=(
        {
            "pkg0": Spec(base=(), extras={}),
            "pkg1": Spec(base=(), extras={"x": (("pkg0", ()),)}),
            "pkg3": Spec(base=(), extras={"x": (("pkg0", ()),)}),
            "pkg4": Spec(base=(), extras={"x": (("pkg1", ()),)}),
        },
        [("pkg3", ("x",)), ("pkg4", ("x",))],
    ),
    uv=False,
)
def test_top_level_lines_with_their_extras_regenerate_the_environment(
    graph: tuple[dict[str, Spec], list[tuple[str, tuple[str, ...]]]], uv: bool
) -> None:
    specs, request = graph
    installed = resolve(specs, request)
    named = {name for name, _ in request}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "venv" / "lib" / "python3.11" / "site-packages"
        root.mkdir(parents=True)
        write_site(root, specs, installed, named, uv=uv)
        dists, warnings = read_distributions([root])
        snapshot = build_snapshot(FakeSite(root).environment(), dists, warnings=warnings)
    top = [
        (name, tuple(sorted(snapshot.top_level_extras.get(name, ()))))
        for name, reason in snapshot.reasons.items()
        if reason.top_level
    ]
    assert resolve(specs, top) == installed, (top, snapshot.reasons)
    if not uv:
        assert {name for name, _ in top} == named
    assert snapshot.unsatisfied == ()
    assert not compare_env_to_lock(snapshot, lock_from_snapshot(snapshot))
