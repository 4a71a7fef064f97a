"""Renderers of a dependency :class:`~envsnap.render.tree.Tree`: text, JSON, DOT, Mermaid.

Each is a pure ``render_*(tree) -> str``; :func:`envsnap.render.render_tree` maps the
``--format`` names to them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envsnap.render.tree import Tree, TreeNode

__all__ = [
    "TREE_SCHEMA",
    "render_dot",
    "render_json",
    "render_mermaid",
    "render_text",
]

TREE_SCHEMA = "envsnap.tree/1"
"""The ``schema`` field of the JSON tree."""


def _label(node: TreeNode, *, reverse: bool) -> str:
    text = f"{node.display_name}=={node.version}"
    if node.requirement is not None:
        spec = str(node.requirement.specifier) or "any"
        key = "requires" if reverse else "required"
        text += f" [{key}: {spec}" + (f", extra: {node.extra}" if node.extra else "") + "]"
    if node.cycle:
        text += " (cycle)"
    elif node.repeated:
        text += " (see above)"
    return text


def render_text(tree: Tree) -> str:
    """Render an indented tree with box-drawing branches, one package per line.

    In a reversed tree, ``[requires: SPEC]`` is what the dependent asks of its
    parent line; in a forward tree, ``[required: SPEC]`` is what the parent
    asks of the package. ``(see above)`` marks a subtree shown earlier,
    ``(cycle)`` a package that is its own ancestor. Ends with a newline
    (empty output for an empty environment).
    """
    lines: list[str] = []

    def walk(node: TreeNode, prefix: str) -> None:
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            lines.append(
                f"{prefix}{'└── ' if last else '├── '}{_label(child, reverse=tree.reverse)}"
            )
            walk(child, prefix + ("    " if last else "│   "))

    for root in tree.roots:
        lines.append(_label(root, reverse=tree.reverse))
        walk(root, "")
    return "".join(f"{line}\n" for line in lines)


def _node_dict(node: TreeNode) -> dict[str, Any]:
    return {
        "name": node.name,
        "display_name": node.display_name,
        "version": str(node.version),
        "requirement": str(node.requirement) if node.requirement else None,
        "extra": node.extra,
        "repeated": node.repeated,
        "cycle": node.cycle,
        "children": [_node_dict(c) for c in node.children],
    }


def render_json(tree: Tree) -> str:
    """Render the tree as JSON: ``{"schema", "reverse", "roots": [node...]}``.

    Each node is ``{"name", "display_name", "version", "requirement", "extra",
    "repeated", "cycle", "children"}``; ``requirement`` is the dependent's
    PEP 508 requirement string (``null`` for a root).
    """
    data = {
        "schema": TREE_SCHEMA,
        "reverse": tree.reverse,
        "roots": [_node_dict(r) for r in tree.roots],
    }
    import json  # noqa: PLC0415 - 3 ms, for this format only

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _graph(tree: Tree) -> tuple[list[TreeNode], list[tuple[TreeNode, TreeNode, str]]]:
    """Return the unique nodes (first seen order) and edges ``(dependent, dependency, spec)``."""
    nodes: dict[str, TreeNode] = {}
    edges: dict[tuple[str, str], tuple[TreeNode, TreeNode, str]] = {}

    def walk(node: TreeNode) -> None:
        nodes.setdefault(node.name, node)
        for child in node.children:
            nodes.setdefault(child.name, child)
            spec = str(child.requirement.specifier) if child.requirement else ""
            if child.extra:
                spec = f"{spec} [{child.extra}]".strip()
            pair = (child, node) if tree.reverse else (node, child)
            edges.setdefault((pair[0].name, pair[1].name), (pair[0], pair[1], spec))
            walk(child)

    for root in tree.roots:
        walk(root)
    return list(nodes.values()), list(edges.values())


def render_dot(tree: Tree) -> str:
    """Render a Graphviz ``digraph``: an arrow from each dependent to its dependency."""
    nodes, edges = _graph(tree)
    lines = ["digraph dependencies {", "  node [shape=box];"]
    lines += [f'  "{n.name}" [label="{n.display_name}\\n{n.version}"];' for n in nodes]
    for parent, child, spec in edges:
        label = f' [label="{spec}"]' if spec else ""
        lines.append(f'  "{parent.name}" -> "{child.name}"{label};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(name: str) -> str:
    return "n_" + re.sub(r"\W", "_", name)


def render_mermaid(tree: Tree) -> str:
    """Render a Mermaid ``flowchart``: an arrow from each dependent to its dependency."""
    nodes, edges = _graph(tree)
    lines = ["flowchart LR"]
    lines += [f'  {_mermaid_id(n.name)}["{n.display_name} {n.version}"]' for n in nodes]
    for parent, child, spec in edges:
        arrow = f' -- "{spec}" --> ' if spec else " --> "
        lines.append(f"  {_mermaid_id(parent.name)}{arrow}{_mermaid_id(child.name)}")
    return "\n".join(lines) + "\n"
