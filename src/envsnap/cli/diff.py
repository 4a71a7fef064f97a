"""``envsnap diff A B``: compare two lock files, environments, or one of each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from envsnap.cli import started_probe
from envsnap.cli.check import read_lock_file, report_options
from envsnap.cli.options import debug_option
from envsnap.cli.output import say

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envsnap.cli.check import ReportChoice
    from envsnap.environment.target import PendingProbe
    from envsnap.lock import Lock


def _is_environment(path: Path) -> bool:
    """Whether ``path`` is a venv directory or an executable ``python*`` rather than a file."""
    if path.is_dir():
        return True
    if path.suffix.lower() in (".txt", ".toml", ".in", ".lock"):
        return False
    return path.name.lower().startswith("python") and os.access(path, os.X_OK)


def load_side(
    arg: str, *, probing: PendingProbe | None = None
) -> tuple[Lock, str, Mapping[str, str] | None]:
    """Turn one argument of ``diff`` into a :class:`Lock`, its label and its markers.

    An environment (:func:`_is_environment`; ``probing`` if started already) is described
    as a lock, with its PEP 508 marker values to select the entries of a lock on the other
    side; anything else is read as a requirements or pylock file (markers ``None``).

    Raises:
        InputError: the path does not exist, or is not a usable file or environment.
    """
    from envsnap.errors import InputError  # noqa: PLC0415

    path = Path(arg)
    if not path.exists():
        raise InputError(f"{arg}: no such file or directory", hint="give a lock file or a venv")
    if _is_environment(path):
        from envsnap.compare.drift import lock_from_snapshot  # noqa: PLC0415
        from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415

        snapshot = take_snapshot(path, started_probe=probing)
        for warning in snapshot.warnings:
            say(f"warning: {warning}")
        label = f"env {snapshot.environment.prefix}"
        return lock_from_snapshot(snapshot), label, snapshot.environment.markers
    return read_lock_file(path), arg, None


_EPILOG = """\b
Exit codes: 0 same, 1 differ, 2 unusable input (a path that does not
exist, an unreadable file or environment), 3 could not finish.

\b
Example:
  envsnap diff old/requirements.txt requirements.txt
"""


@click.command(epilog=_EPILOG)
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@report_options
@debug_option
def diff(a: str, b: str, shown: ReportChoice, quiet: bool) -> None:
    """Show what differs from A to B.

    A and B are each a requirements file, a pylock.toml, or an environment (a
    venv directory or its interpreter). Packages only in A are "missing",
    only in B "extra"; other versions are "changed", other origins "source
    changed". Entries with markers are selected for an environment on the
    other side, else compared where their markers hold. pip, setuptools and
    wheel are left out unless --all. Useful in review.
    """
    with (
        # both environments (if they are) are probed at once, during the imports
        started_probe(a, skip=not _is_environment(Path(a))) as probing_a,
        started_probe(b, skip=not _is_environment(Path(b))) as probing_b,
    ):
        from envsnap.compare.drift import compare_locks  # noqa: PLC0415

        a_lock, a_label, a_markers = load_side(a, probing=probing_a)
        b_lock, b_label, b_markers = load_side(b, probing=probing_b)
        report = compare_locks(
            a_lock,
            b_lock,
            **shown.leaving_out,
            a_label=a_label,
            b_label=b_label,
            # a lock is read for the environment on the other side (two envs: no markers)
            markers=b_markers if a_markers is None else a_markers if b_markers is None else None,
        )
        shown.emit(report)
