"""Read what ``pyproject.toml`` declares: dependencies, extras, PEP 735 dependency groups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from envsnap._io import read_toml
from envsnap.errors import InputError

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "DeclaredDependency",
    "ProjectDeclaration",
    "as_project",
    "read_project",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredDependency:
    """One requirement the project declares, with the table it comes from."""

    requirement: Requirement
    """The PEP 508 requirement as written."""
    source: str
    """``dependencies``, ``optional-dependencies.NAME`` or ``dependency-groups.NAME``."""
    line: int | None = field(default=None, compare=False)
    """1-based line of ``pyproject.toml`` holding it (for annotations), when found."""

    @property
    def name(self) -> NormalizedName:
        """The normalized name the requirement asks for."""
        return canonicalize_name(self.requirement.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectDeclaration:
    """What ``pyproject.toml`` declares, for the selected extras and groups."""

    path: Path
    """The ``pyproject.toml`` file read."""
    name: NormalizedName | None
    """``[project] name``, normalized, when present (the project itself)."""
    dependencies: tuple[DeclaredDependency, ...]
    """Every selected declared requirement, in file order."""

    @property
    def names(self) -> frozenset[NormalizedName]:
        """The normalized names of all declared dependencies."""
        return frozenset(dep.name for dep in self.dependencies)


def read_project(
    path: Path, *, extras: Sequence[str] = (), groups: Sequence[str] = ()
) -> ProjectDeclaration:
    """Read the declared dependencies of a project.

    Args:
        path: a ``pyproject.toml`` file or the directory holding one.
        extras: optional-dependency names to include (``"*"`` for all).
        groups: PEP 735 dependency-group names to include (``"*"`` for all).

    Raises:
        InputError: the file is missing or not TOML, a requirement not PEP 508, a selected
            extra or group missing, an ``include-group`` chain over :data:`MAX_INCLUDE_DEPTH`.
    """
    file = path / "pyproject.toml" if path.is_dir() else path
    text, data = read_toml(file)
    lines = _string_lines(text)
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise InputError(f"{file}: [project] must be a table")
    deps: list[DeclaredDependency] = []

    def add(items: object, source: str) -> None:
        if not isinstance(items, list):
            raise InputError(f"{file}: [{source}] must be a list of requirement strings")
        for item in items:
            try:
                requirement = Requirement(str(item))
            except InvalidRequirement as exc:
                message = f"{file}: invalid requirement {item!r} in {source}: {exc}"
                raise InputError(message) from None
            line = lines.get(str(item))
            deps.append(DeclaredDependency(requirement=requirement, source=source, line=line))

    add(project.get("dependencies", []), "dependencies")
    optional = project.get("optional-dependencies", {})
    for extra in _selected(extras, optional, file, "optional-dependencies"):
        add(optional[extra], f"optional-dependencies.{extra}")
    groups_table = data.get("dependency-groups", {})
    selected_groups = _selected(groups, groups_table, file, "dependency-groups")
    if selected_groups:
        from packaging.dependency_groups import DependencyGroupResolver  # noqa: PLC0415
        from packaging.errors import ExceptionGroup  # noqa: PLC0415

        group_lines = _group_lines(groups_table, lines)
        _refuse_deep_includes(file, groups_table, selected_groups)
        try:
            resolver = DependencyGroupResolver(groups_table)
            for group in selected_groups:
                source = f"dependency-groups.{group}"
                deps.extend(
                    DeclaredDependency(
                        requirement=req, source=source, line=group_lines.get(str(req))
                    )
                    for req in resolver.resolve(group)
                )
        except ExceptionGroup as group_error:
            # packaging collects every problem (cycles, bad includes) into a group
            details = "; ".join(str(inner) for inner in group_error.exceptions)
            raise InputError(f"{file}: invalid [dependency-groups]: {details}") from None
        except (ValueError, TypeError, LookupError) as exc:
            raise InputError(f"{file}: invalid [dependency-groups]: {exc}") from None
    name = project.get("name")
    return ProjectDeclaration(
        path=file,
        name=canonicalize_name(name) if isinstance(name, str) else None,
        dependencies=tuple(deps),
    )


MAX_INCLUDE_DEPTH = 100
"""The longest PEP 735 ``include-group`` chain followed (packaging recurses: 600 overflow)."""


def _refuse_deep_includes(file: Path, table: dict[str, object], selected: Sequence[str]) -> None:
    """Refuse a selected group whose ``include-group`` chain is over :data:`MAX_INCLUDE_DEPTH`.

    Measured without recursion, each group once; a cycle is left to packaging, which names it.
    """
    graph: dict[str, list[str]] = {}  # group -> the groups it includes
    for key, items in table.items():
        included = graph.setdefault(canonicalize_name(key), [])
        for item in items if isinstance(items, list) else ():
            name = item.get("include-group") if isinstance(item, dict) else None
            if isinstance(name, str):
                included.append(canonicalize_name(name))
    longest: dict[str, tuple[int, str | None]] = {}  # group -> (chain length, the next group)
    for group in selected:
        start: str = canonicalize_name(group)
        stack = [(start, iter(graph.get(start, ())))]
        on_stack: set[str] = {start}
        while stack:
            name, includes = stack[-1]
            child = next(includes, None)
            if child is None:
                stack.pop()
                on_stack.discard(name)
                below = [(longest[c][0], c) for c in graph.get(name, ()) if c in longest]
                depth, via = max(below, default=(0, None))
                longest[name] = (depth + 1, via)
            elif child not in longest and child not in on_stack and child in graph:
                stack.append((child, iter(graph[child])))
                on_stack.add(child)
        if longest[start][0] > MAX_INCLUDE_DEPTH:
            chain: list[str] = [start]
            while len(chain) < 4 and (step := longest[chain[-1]][1]) is not None:
                chain.append(step)
            raise InputError(
                f"{file}: dependency group {group!r}: its include-group chain is "
                f"{longest[start][0]} groups long ({' -> '.join(chain)} -> ...); envsnap follows "
                f"at most {MAX_INCLUDE_DEPTH}",
                hint="flatten the chain: a group may list the requirements it includes",
            )


_TOML_STRING = re.compile(r""""((?:[^"\\]|\\.)*)"|'([^']*)'""")
"""A TOML basic (``"..."``, escapes kept) or literal (``'...'``) string on one line."""


def _string_lines(text: str) -> dict[str, int]:
    """Map each one-line TOML string of ``text`` to its first line (TOML parsers give none)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for basic, literal in _TOML_STRING.findall(line):
            value = literal or basic.replace('\\"', '"').replace("\\\\", "\\")
            found.setdefault(value, number)
    return found


def _group_lines(table: dict[str, object], lines: dict[str, int]) -> dict[str, int]:
    """Map each PEP 735 group requirement's normal form (``pytest>=8``) to its line."""
    found: dict[str, int] = {}
    for items in table.values():
        for item in items if isinstance(items, list) else ():
            if isinstance(item, str) and item in lines:
                try:
                    found.setdefault(str(Requirement(item)), lines[item])
                except InvalidRequirement:
                    continue
    return found


def _selected(wanted: Sequence[str], table: object, file: Path, what: str) -> list[str]:
    if not isinstance(table, dict):
        raise InputError(f"{file}: [{what}] must be a table")
    if "*" in wanted:
        return sorted(table)
    by_norm = {canonicalize_name(key): key for key in table}
    out = []
    for name in wanted:
        key = by_norm.get(canonicalize_name(name))
        if key is None:
            known = ", ".join(sorted(table)) or "none"
            raise InputError(f"{file}: no {what} entry named {name!r} (known: {known})")
        out.append(key)
    return out


@overload
def as_project(project: ProjectDeclaration | str | os.PathLike[str]) -> ProjectDeclaration: ...
@overload
def as_project(project: None) -> None: ...
@overload
def as_project(
    project: ProjectDeclaration | str | os.PathLike[str] | None,
) -> ProjectDeclaration | None: ...
def as_project(
    project: ProjectDeclaration | str | os.PathLike[str] | None,
) -> ProjectDeclaration | None:
    """Return ``project`` as a declaration: a path (file or directory) is read without extras.

    Every library function taking ``project=`` takes what this does.

    Raises:
        InputError: as :func:`read_project`, for a path.
    """
    if project is None or isinstance(project, ProjectDeclaration):
        return project
    return read_project(Path(project))
