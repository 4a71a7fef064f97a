"""The JSON snapshot (schema envsnap.snapshot/1, docs/json-schema.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envsnap import __version__
from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.lockfiles import DumpOptions
from envsnap.lockfiles.snapshot_json import SCHEMA, dump, to_dict
from support.fake_site import LINUX_311, FakeSite

if TYPE_CHECKING:
    from pathlib import Path


def snap(site: FakeSite) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings)


def test_whole_document(site: FakeSite, tmp_path: Path) -> None:
    app = site(
        "App",
        "1.0",
        "lib[fast]>=1",
        "missing",
        extras=["x"],
        requires_python=">=3.9",
        requested=True,
    )
    lib = site("lib", "2.0", 'speed; extra == "fast"', extras=["fast"], installer="uv")
    speed = site(
        "speed",
        "0.1",
        direct_url={"url": "file:///w/speed.whl", "archive_info": {"hash": "sha256=aa"}},
    )
    site("pip", "24.0")
    bad = site("bad", "nope")
    result = snap(site)
    env_root = site.root.parents[2]
    assert to_dict(result, DumpOptions()) == {
        "schema": "envsnap.snapshot/1",
        "envsnap": __version__,
        "environment": {
            "interpreter": str(env_root / "bin" / "python"),
            "prefix": str(env_root),
            "base_prefix": "/opt/python",
            "is_venv": True,
            "implementation": "CPython",
            "python_version": "3.11.7",
            "platform": "linux-x86_64",
            "site_packages": [str(site.root)],
            "include_system_site_packages": False,
            "system_site_packages_used": None,
            "markers": dict(sorted(LINUX_311.items())),
        },
        "packages": [
            {
                "name": "app",
                "display_name": "App",
                "version": "1.0",
                "top_level": True,
                "reason": "requested",
                "via": [],
                "requires": ["lib[fast]>=1", "missing"],
                "extras": [],
                "inferred_extras": [],
                "top_level_extras": [],
                "explained_by": [],
                "requires_python": ">=3.9",
                "origin": {"kind": "index"},
                "installer": "pip",
                "requested": True,
                "location": str(app),
            },
            {
                "name": "lib",
                "display_name": "lib",
                "version": "2.0",
                "top_level": False,
                "reason": "transitive",
                "via": ["App"],
                "requires": ['speed; extra == "fast"'],
                "extras": ["fast"],
                "inferred_extras": [],
                "top_level_extras": [],
                "explained_by": [],
                "requires_python": None,
                "origin": {"kind": "index"},
                "installer": "uv",
                "requested": False,
                "location": str(lib),
            },
            {
                "name": "speed",
                "display_name": "speed",
                "version": "0.1",
                "top_level": False,
                "reason": "transitive",
                "via": ["lib[fast]"],
                "requires": [],
                "extras": [],
                "inferred_extras": [],
                "top_level_extras": [],
                "explained_by": [],
                "requires_python": None,
                "origin": {
                    "kind": "archive",
                    "url": "file:///w/speed.whl",
                    "archive_hash": "sha256=aa",
                },
                "installer": "pip",
                "requested": False,
                "location": str(speed),
            },
        ],
        "edges": [
            {"from": "app", "to": "lib", "requirement": "lib[fast]>=1", "extra": None},
            {
                "from": "lib",
                "to": "speed",
                "requirement": 'speed; extra == "fast"',
                "extra": "fast",
            },
        ],
        "unsatisfied": [
            {"dependent": "app", "requirement": "missing", "extra": None, "installed": None}
        ],
        "warnings": [{"path": str(bad), "message": "invalid version 'nope': skipped"}],
    }


def test_dump_is_indented_json_with_a_final_newline_and_deterministic(site: FakeSite) -> None:
    site("a", "1.0", "b")
    site("b", "1.0")
    text = dump(snap(site), DumpOptions())
    assert text.endswith("}\n")
    assert text.startswith('{\n  "schema": "envsnap.snapshot/1",\n')
    assert json.loads(text)["schema"] == SCHEMA
    assert dump(snap(site), DumpOptions()) == text


def test_options_filter_packages_and_edges(site: FakeSite) -> None:
    site("a", "1.0", "b", "pip")
    site("b", "1.0")
    site("pip", "24.0")
    result = snap(site)
    top = to_dict(result, DumpOptions(top_level_only=True))
    assert [p["name"] for p in top["packages"]] == ["a"]
    assert top["edges"] == []
    everything = to_dict(result, DumpOptions(include_tools=True))
    assert [p["name"] for p in everything["packages"]] == ["a", "b", "pip"]
    assert [(e["from"], e["to"]) for e in everything["edges"]] == [("a", "b"), ("a", "pip")]
    excluded = to_dict(result, DumpOptions(exclude=frozenset({"B"})))
    assert [p["name"] for p in excluded["packages"]] == ["a"]


def test_origins_of_every_kind(site: FakeSite, tmp_path: Path) -> None:
    site("ed", "1.0", direct_url={"url": "file:///src/ed", "dir_info": {"editable": True}})
    site("dir", "1.0", direct_url={"url": "file:///src/dir", "dir_info": {}})
    site(
        "vcs",
        "1.0",
        direct_url={
            "url": "https://example.invalid/v.git",
            "vcs_info": {"vcs": "git", "commit_id": "abc", "requested_revision": "v1"},
            "subdirectory": "py",
        },
    )
    origins = {p["name"]: p["origin"] for p in to_dict(snap(site), DumpOptions())["packages"]}
    assert origins == {
        "dir": {"kind": "directory", "url": "file:///src/dir", "editable": False},
        "ed": {"kind": "directory", "url": "file:///src/ed", "editable": True},
        "vcs": {
            "kind": "vcs",
            "url": "https://example.invalid/v.git",
            "vcs": "git",
            "commit": "abc",
            "requested_revision": "v1",
            "subdirectory": "py",
        },
    }


def test_inferred_extras_are_reported(site: FakeSite) -> None:
    site("web", "1.0", 'ujson; extra == "fast"', extras=["fast"])
    site("ujson", "5.0")
    [_, web] = to_dict(snap(site), DumpOptions())["packages"]
    assert (web["extras"], web["inferred_extras"]) == (["fast"], ["fast"])
