"""Dependency tree views and their renderers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.errors import InputError
from envsnap.render import TREE_FORMATS, render_tree
from envsnap.render.tree import Tree, TreeNode, build_tree
from envsnap.render.tree_formats import render_dot, render_json, render_mermaid, render_text

if TYPE_CHECKING:
    from support.fake_site import FakeSite


def snap(site: FakeSite) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings)


@pytest.fixture
def graph(site: FakeSite) -> Snapshot:
    site("app", "1.0", "lib>=1", "Shared[fast]", requested=True)
    site("tool", "2.0", "shared", requested=True)
    site("lib", "1.5", "shared<3")
    site("shared", "2.0", "leaf; extra == 'fast'", extras=("fast",))
    site("leaf", "0.1")
    site("pip", "26.0")
    return snap(site)


def test_forward_text_marks_repeated_subtrees(graph: Snapshot) -> None:
    assert render_text(build_tree(graph)) == (
        "app==1.0\n"
        "├── lib==1.5 [required: >=1]\n"
        "│   └── shared==2.0 [required: <3]\n"
        "│       └── leaf==0.1 [required: any, extra: fast]\n"
        "└── shared==2.0 [required: any] (see above)\n"
        "tool==2.0\n"
        "└── shared==2.0 [required: any] (see above)\n"
    )


def test_reverse_and_package(graph: Snapshot) -> None:
    assert render_text(build_tree(graph, reverse=True, packages=["Leaf"])) == (
        "leaf==0.1\n"
        "└── shared==2.0 [requires: any, extra: fast]\n"
        "    ├── app==1.0 [requires: any]\n"
        "    ├── lib==1.5 [requires: <3]\n"
        "    │   └── app==1.0 [requires: >=1]\n"
        "    └── tool==2.0 [requires: any]\n"
    )
    assert [r.name for r in build_tree(graph, reverse=True).roots] == ["leaf"]
    assert [r.name for r in build_tree(graph, include_tools=True).roots] == ["app", "pip", "tool"]


def test_unknown_package(graph: Snapshot) -> None:
    with pytest.raises(InputError, match="nope is not installed"):
        build_tree(graph, packages=["nope"])


def test_cycle_is_marked_not_expanded(site: FakeSite) -> None:
    site("sphinx", "8.0", "sphinxcontrib-a")
    site("sphinxcontrib-a", "1.0", "sphinx")
    tree = build_tree(snap(site))
    assert render_text(tree) == (
        "sphinx==8.0\n"
        "└── sphinxcontrib-a==1.0 [required: any]\n"
        "    └── sphinx==8.0 [required: any] (cycle)\n"
    )
    assert tree.roots[0].children[0].children[0].cycle


def test_json(graph: Snapshot) -> None:
    data = json.loads(render_json(build_tree(graph, packages=["lib"])))
    assert data == {
        "schema": "envsnap.tree/1",
        "reverse": False,
        "roots": [
            {
                "name": "lib",
                "display_name": "lib",
                "version": "1.5",
                "requirement": None,
                "extra": None,
                "repeated": False,
                "cycle": False,
                "children": [
                    {
                        "name": "shared",
                        "display_name": "shared",
                        "version": "2.0",
                        "requirement": "shared<3",
                        "extra": None,
                        "repeated": False,
                        "cycle": False,
                        "children": [
                            {
                                "name": "leaf",
                                "display_name": "leaf",
                                "version": "0.1",
                                "requirement": 'leaf; extra == "fast"',
                                "extra": "fast",
                                "repeated": False,
                                "cycle": False,
                                "children": [],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def _nested(node: TreeNode) -> dict[str, object]:
    return {
        "name": node.name,
        "display_name": node.display_name,
        "version": str(node.version),
        "requirement": str(node.requirement) if node.requirement else None,
        "extra": node.extra,
        "repeated": node.repeated,
        "cycle": node.cycle,
        "children": [_nested(c) for c in node.children],
    }


@pytest.mark.parametrize("reverse", [False, True])
def test_json_is_the_text_json_dumps_writes(graph: Snapshot, reverse: bool) -> None:
    """The JSON tree is written node by node (no depth limit), as json.dumps would write it."""
    for tree in (build_tree(graph, reverse=reverse, include_tools=True), Tree(roots=())):
        data = {
            "schema": "envsnap.tree/1",
            "reverse": tree.reverse,
            "roots": [_nested(r) for r in tree.roots],
        }
        assert render_json(tree) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_dot_and_mermaid(graph: Snapshot) -> None:
    tree = build_tree(graph, packages=["tool"])
    assert render_dot(tree) == (
        "digraph dependencies {\n"
        "  node [shape=box];\n"
        '  "tool" [label="tool\\n2.0"];\n'
        '  "shared" [label="shared\\n2.0"];\n'
        '  "leaf" [label="leaf\\n0.1"];\n'
        '  "tool" -> "shared";\n'
        '  "shared" -> "leaf" [label="[fast]"];\n'
        "}\n"
    )
    assert render_mermaid(tree) == (
        "flowchart LR\n"
        '  n_tool["tool 2.0"]\n'
        '  n_shared["shared 2.0"]\n'
        '  n_leaf["leaf 0.1"]\n'
        "  n_tool --> n_shared\n"
        '  n_shared -- "[fast]" --> n_leaf\n'
    )
    reverse = render_mermaid(build_tree(graph, reverse=True, packages=["lib"]))
    assert '  n_app -- ">=1" --> n_lib\n' in reverse


def test_the_registry_maps_every_tree_format(graph: Snapshot) -> None:
    tree = build_tree(graph)
    renderers = {
        "text": render_text,
        "json": render_json,
        "dot": render_dot,
        "mermaid": render_mermaid,
    }
    assert TREE_FORMATS == ("text", "json", "dot", "mermaid")
    for name in TREE_FORMATS:
        assert render_tree(tree, name) == renderers[name](tree)
