"""The lock against ``pyproject.toml``: declared but not locked, outside the specifier, stale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from envsnap._markers import marker_holds
from envsnap.compare.changes import Change, Report, lock_label, pin, sorted_changes, where

if TYPE_CHECKING:
    import os
    from collections.abc import Collection, Mapping

    from envsnap.environment.project import ProjectDeclaration
    from envsnap.lock import Lock

__all__ = ["compare_lock_to_project"]


def compare_lock_to_project(
    lock: Lock,
    project: ProjectDeclaration | str | os.PathLike[str],
    *,
    markers: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
) -> Report:
    """Compare a lock with the dependencies ``pyproject.toml`` declares.

    - ``missing-declared``: a declared requirement (``[project] dependencies``,
      selected optional dependencies, PEP 735 groups) the lock has no entry for;
      one with a marker only when ``markers`` are given and it applies.
    - ``outside-specifier``: a pinned version no declared requirement of its name
      allows (pre-releases allowed: a pin is explicit).
    - ``stale``: an entry the lock records as ``declared`` (envsnap's files,
      pip-compile's ``# via NAME (pyproject.toml)``) that the project no longer
      declares; never one ``requested``, ``root`` or without a recorded reason.

    The project itself (``[project] name``) is never reported.

    Args:
        lock: the lock (side a of the wording: what the file says).
        project: the declaration (side b), or a ``pyproject.toml`` path or its
            directory (:func:`envsnap.environment.project.as_project`).
        markers: the PEP 508 marker values of the target, when known: the lock
            is narrowed to it first.
        ignore: names to leave out.

    Returns:
        The :class:`Report`, ``a_label`` the project file, ``b_label`` the lock.
    """
    from envsnap.environment.project import as_project  # noqa: PLC0415

    project = as_project(project)
    lock = lock.for_environment(markers)
    skip = {canonicalize_name(n) for n in ignore}
    if project.name:
        skip.add(project.name)
    applicable = [
        dep
        for dep in project.dependencies
        if dep.name not in skip
        and (
            markers is None
            or dep.requirement.marker is None
            or marker_holds(dep.requirement.marker, markers)
        )
    ]
    changes = [
        Change(
            kind="missing-declared",
            name=dep.name,
            expected=str(dep.requirement),
            detail=f"declared in [{dep.source}]",
            line=dep.line,
            path=str(project.path),
        )
        for dep in applicable
        # no target: a Windows-only dependency need not be locked here
        if not lock.entries(dep.name) and (dep.requirement.marker is None or markers is not None)
    ]
    for name in dict.fromkeys(dep.name for dep in applicable):
        declared = [dep for dep in applicable if dep.name == name]
        for locked in lock.entries(name):
            if locked.version is None or any(
                d.requirement.specifier.contains(locked.version, prereleases=True) for d in declared
            ):
                continue
            changes.append(
                Change(
                    kind="outside-specifier",
                    name=name,
                    expected=" or ".join(str(d.requirement) for d in declared),
                    found=str(locked.version),
                    detail="declared in "
                    + ", ".join(dict.fromkeys(f"[{d.source}]" for d in declared)),
                    **where(lock, locked),
                )
            )
    for locked in lock.top_level:
        if locked.name in project.names or locked.name in skip or locked.reason != "declared":
            continue
        changes.append(
            Change(
                kind="stale",
                name=locked.name,
                found=pin(locked),
                detail=f"no longer declared in {project.path.name} "
                "(the lock records it as declared)",
                **where(lock, locked),
            )
        )
    return Report(
        changes=sorted_changes(changes),
        a_label=str(project.path),
        b_label=lock_label(lock),
        checked=len({dep.name for dep in applicable}),
    )
