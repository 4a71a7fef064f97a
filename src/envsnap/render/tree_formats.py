"""Renderers of a dependency :class:`~envsnap.render.tree.Tree`: text, JSON, DOT, Mermaid.

Each is a pure ``render_*(tree) -> str`` that escapes control characters
(:func:`envsnap._text.printable`) and walks the tree with a stack of its own, so a chain
of any depth renders (a recursive walk, ``json.dumps`` of nested data included, stops
with RecursionError near a thousand levels).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envsnap._text import printable

if TYPE_CHECKING:
    from envsnap.render.tree import Tree, TreeNode

__all__ = ["TREE_SCHEMA", "render_dot", "render_json", "render_mermaid", "render_text"]

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


def _last_first(nodes: tuple[TreeNode, ...]) -> list[tuple[TreeNode, bool]]:
    """Return ``(node, whether it is the last)``, the last first: a stack then pops the first."""
    last = len(nodes) - 1
    return [(node, i == last) for i, node in reversed(list(enumerate(nodes)))]


def render_text(tree: Tree) -> str:
    """Render an indented tree with box-drawing branches, one package per line and a newline.

    ``[requires: SPEC]`` (reversed tree) is what the dependent asks of its parent line,
    ``[required: SPEC]`` what the parent asks of the package; ``(see above)`` marks a
    subtree shown earlier, ``(cycle)`` a package that is its own ancestor.
    """
    lines: list[str] = []
    # (node, the start of its line, the indent of its children's lines)
    stack = [(root, "", "") for root in reversed(tree.roots)]
    while stack:
        node, lead, indent = stack.pop()
        lines.append(lead + _label(node, reverse=tree.reverse))
        stack += [
            (child, indent + ("└── " if last else "├── "), indent + ("    " if last else "│   "))
            for child, last in _last_first(node.children)
        ]
    return printable("".join(f"{line}\n" for line in lines), lines=True)


def _node_fields(node: TreeNode) -> dict[str, object]:
    """Return the fields of a JSON node before ``children``, in order."""
    return {
        "name": node.name,
        "display_name": node.display_name,
        "version": str(node.version),
        "requirement": str(node.requirement) if node.requirement else None,
        "extra": node.extra,
        "repeated": node.repeated,
        "cycle": node.cycle,
    }


def render_json(tree: Tree) -> str:
    """Render the tree as JSON: ``{"schema", "reverse", "roots": [node...]}``.

    Each node is :func:`_node_fields` then ``"children"``; ``requirement`` is the
    dependent's PEP 508 requirement (``null`` for a root). The text is what
    ``json.dumps(data, indent=2, ensure_ascii=False)`` writes, written node by node.
    """
    import json  # noqa: PLC0415 - 3 ms, for this format only

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    out = ["{", f'  "schema": {dumps(TREE_SCHEMA)},', f'  "reverse": {dumps(tree.reverse)},']
    if not tree.roots:
        out.append('  "roots": []')
    else:
        out.append('  "roots": [')
        # a node to write (node, its depth, whether it is the last of its list), or a line
        stack: list[tuple[TreeNode, int, bool] | str] = [
            (root, 2, last) for root, last in _last_first(tree.roots)
        ]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            node, depth, last = item
            pad, comma = "  " * depth, "" if last else ","
            out.append(pad + "{")
            out += [
                f"{pad}  {dumps(key)}: {dumps(value)}," for key, value in _node_fields(node).items()
            ]
            if not node.children:
                out += [f'{pad}  "children": []', f"{pad}}}{comma}"]
                continue
            out.append(f'{pad}  "children": [')
            stack += [f"{pad}}}{comma}", f"{pad}  ]"]
            stack += [(child, depth + 2, end) for child, end in _last_first(node.children)]
        out.append("  ]")
    out.append("}")
    return printable("\n".join(out), lines=True) + "\n"


def _graph(tree: Tree) -> tuple[list[TreeNode], list[tuple[TreeNode, TreeNode, str]]]:
    """Return the unique nodes (first seen order) and edges ``(dependent, dependency, spec)``."""
    nodes: dict[str, TreeNode] = {}
    edges: dict[tuple[str, str], tuple[TreeNode, TreeNode, str]] = {}
    for root in tree.roots:
        nodes.setdefault(root.name, root)
        # depth first: each child is met before its next sibling, as a recursive walk meets it
        stack = [(root, iter(root.children))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                continue
            nodes.setdefault(child.name, child)
            spec = str(child.requirement.specifier) if child.requirement else ""
            if child.extra:
                spec = f"{spec} [{child.extra}]".strip()
            pair = (child, node) if tree.reverse else (node, child)
            edges.setdefault((pair[0].name, pair[1].name), (pair[0], pair[1], spec))
            stack.append((child, iter(child.children)))
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
    return printable("\n".join(lines), lines=True) + "\n"


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
    return printable("\n".join(lines), lines=True) + "\n"
