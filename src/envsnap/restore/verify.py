"""Verify a restored venv, whatever installed it: the lock's packages, and Pythons they admit.

The records a freeze reads are completed first (:mod:`envsnap.install.dist_info`),
then the venv is compared as ``check`` compares it, and every distribution's
``Requires-Python`` must admit the venv's Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsnap.errors import OperationError

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from envsnap.compare.changes import Change, Report
    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.snapshot import Snapshot
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.distfile import DistFile
    from envsnap.restore.plan import RestorePlan

__all__ = ["unsupported_python", "verify"]

SHOWN = 15
"""How many mismatches an error lists."""


def verify(plan: RestorePlan, environment: TargetEnvironment) -> tuple[Report, tuple[str, ...]]:
    """Mark the top-level packages and check the venv against the plan.

    Returns:
        ``(the report, notes)``: a note names the packages the installer added
        when the file does not pin the whole closure.

    Raises:
        OperationError: drift from the lock, or a distribution whose
            ``Requires-Python`` excludes the venv's Python (each named).
    """
    from envsnap.compare.drift import compare_env_to_lock  # noqa: PLC0415
    from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415
    from envsnap.install.dist_info import (  # noqa: PLC0415
        record_archive_hashes,
        record_provenance,
        set_requested,
    )

    options = plan.options
    expected = plan.expected.for_environment(
        environment.markers, extras=options.extras, groups=options.groups
    )
    # a file that does not say (pip lock, uv): what nothing requires was named
    top = [p.name for p in expected.top_level] or _roots(take_snapshot(environment=environment))
    set_requested(environment.site_packages, top)
    record_archive_hashes(environment.site_packages, expected)
    record_provenance(environment.site_packages, _index_files(plan, environment))
    snapshot = take_snapshot(environment=environment)
    report = compare_env_to_lock(
        snapshot,
        plan.expected,
        allow_extra=not plan.exact,
        extras=options.extras,  # the entries of a pylock file installed are the ones chosen
        groups=options.groups,
    )
    python = environment.python_version_text
    unsupported = unsupported_python(snapshot.distributions, python)
    if report or unsupported:
        lines = [
            *(
                f"{d.display_name} {d.version} requires Python {d.requires_python}, "
                f"the venv has {python}"
                for d in unsupported
            ),
            *(_change_line(c) for c in report.drift),
        ]
        raise OperationError(
            f"{plan.target} does not match {plan.file} after the install:\n  "
            + "\n  ".join(lines[:SHOWN])
            + (f"\n  ... and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""),
            hint=_hint(plan, report, python if unsupported else None),
        )
    listed = {p.name for p in expected.packages}
    added = [f"{d.display_name}=={d.version}" for d in snapshot.listed() if d.name not in listed]
    if plan.exact or not added:
        return report, ()
    return report, (f"{plan.installer} added packages the file does not list: " + ", ".join(added),)


def unsupported_python(
    distributions: list[InstalledDistribution] | tuple[InstalledDistribution, ...], python: str
) -> list[InstalledDistribution]:
    """Return the distributions whose ``Requires-Python`` excludes ``python`` (``X.Y.Z``)."""
    return [
        d
        for d in distributions
        if d.requires_python is not None
        and not d.requires_python.contains(python, prereleases=True)
    ]


def _roots(snapshot: Snapshot) -> list[str]:
    """Return the packages no other installed package requires (for a file without top-level).

    An extra envsnap inferred does not count as requiring: without it, a
    ``pip lock celery sqlalchemy`` file marks sqlalchemy as named, so the next
    freeze keeps it top-level instead of explaining it by ``celery[sqlalchemy]``.
    """
    required = {
        edge.child
        for edge in snapshot.edges
        if edge.extra is None or edge.extra not in snapshot.inferred_extras.get(edge.parent, ())
    }
    return [d.name for d in snapshot.distributions if d.name not in required]


def _index_files(
    plan: RestorePlan, environment: TargetEnvironment
) -> dict[NormalizedName, tuple[DistFile, str]]:
    """Return the index files uv took from a pylock file (``Pylock.select``): PEP 710 provenance."""
    from envsnap.environment.target import environment_tags  # noqa: PLC0415
    from envsnap.index.distfile import DistFile  # noqa: PLC0415

    pylock = plan.expected.pylock
    if pylock is None or plan.installer != "uv":
        return {}
    installed: dict[NormalizedName, tuple[DistFile, str]] = {}
    for package, entry in pylock.select(
        environment=dict(environment.markers),
        tags=environment_tags(environment),
        extras=plan.options.extras,
        dependency_groups=plan.options.groups,
    ):
        url, hashes = getattr(entry, "url", None), getattr(entry, "hashes", None) or {}
        if package.index and url and "sha256" in hashes and hasattr(entry, "filename"):
            file = DistFile(
                filename=entry.filename,
                hashes=hashes,
                name=package.name,
                version=package.version,
                url=url,
            )
            installed[package.name] = (file, package.index)
    return installed


def _change_line(change: Change) -> str:
    parts = [change.kind, change.name]
    if change.expected or change.found:
        parts.append(f"(file: {change.expected or '-'}, venv: {change.found or '-'})")
    if change.detail:
        parts.append(f"- {change.detail}")
    return " ".join(parts)


def _hint(plan: RestorePlan, report: Report, python: str | None) -> str:
    """Name the likely fix for a venv that does not match the file."""
    if python is not None:
        recorded = plan.lock.python_version
        return (
            f"the file's packages need another Python than {python}"
            + (
                f"; it was made with Python {recorded}: restore with python={recorded}"
                if recorded
                else ""
            )
            + "; the old venv is back"
        )
    broken = any(c.kind == "broken" for c in report.drift)
    if broken and plan.lock.system_site_packages is None and plan.lock.complete:
        return (
            "a package needs one the file does not list; if the venv it was frozen from "
            "saw the base Python's packages (--system-site-packages), freeze it again with "
            "this envsnap (it records them) or with --include-system"
        )
    return "the file may not describe an installable environment (run `envsnap check` on it)"
