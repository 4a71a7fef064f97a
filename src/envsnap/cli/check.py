"""``envsnap check``: compare the environment, the lock file and ``pyproject.toml``."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click

from envsnap import _report
from envsnap.cli import announce, note_pythonpath, started_probe
from envsnap.cli.options import (
    debug_option,
    folded,
    format_option,
    project_options,
    python_option,
    quiet_option,
    verbose_option,
)
from envsnap.cli.output import say, show
from envsnap.render import REPORT_FORMATS

if TYPE_CHECKING:
    from envsnap.compare.changes import Report
    from envsnap.environment.project import ProjectDeclaration
    from envsnap.lock import Lock
    from envsnap.render import ReportFormat


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportChoice:
    """What ``check`` and ``diff`` were given: --format, --ignore, --allow-extra, --all, -v."""

    ignore: tuple[str, ...]
    allow_extra: bool
    include_tools: bool
    format_name: str
    verbose: bool

    @property
    def leaving_out(self) -> dict[str, Any]:
        """What the comparison leaves out, as the compare functions' keyword arguments."""
        return {
            "ignore": self.ignore,
            "allow_extra": self.allow_extra,
            "include_tools": self.include_tools,
        }

    def emit(self, report: Report) -> NoReturn:
        """Render ``report`` on stdout, its notes on stderr; exit 1 when it holds drift, else 0."""
        from envsnap.render import Style, render_report  # noqa: PLC0415

        if not self.verbose:
            report = report.drift_only()
        for note in report.notes:
            _report.note(f"note: {note}")
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        name = cast("ReportFormat", self.format_name)  # a click.Choice
        text = render_report(report, name, Style(color=color, root=Path.cwd()))
        show(text, commands=name == "github", colour=color and name == "text")
        sys.exit(1 if report else 0)


report_options = folded(
    "shown",
    lambda: ReportChoice,
    [
        format_option(
            REPORT_FORMATS,
            default="text",
            envvar="ENVSNAP_REPORT_FORMAT",
            help="text for people, json (schema envsnap.report/1), github for "
            "GitHub Actions annotations.",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="NAME",
            help="Leave this package out of the comparison (repeatable).",
        ),
        click.option(
            "--allow-extra", is_flag=True, help="Do not report packages only the second side has."
        ),
        click.option(
            "--all",
            "include_tools",
            is_flag=True,
            help="Also compare pip, setuptools, wheel and distribute, which are left out as "
            "freeze leaves them out (check compares them anyway where the lock pins them).",
        ),
        quiet_option(help="Print the report, errors and warnings only (no notes, no target line)."),
        verbose_option(
            help="Also show what is not drift: packages that moved between top-level and "
            "transitive, and other extras on a top-level line of a lock that pins every package."
        ),
    ],
)
"""The options ``check`` and ``diff`` share: a :class:`ReportChoice` (``shown``) and ``-q``."""


def read_lock_file(path: Path) -> Lock:
    """Read a lock or requirements file, printing the reader's remarks as warnings."""
    from envsnap.lockfiles.readers import read_lock  # noqa: PLC0415

    lock = read_lock(path)
    for problem in lock.problems:
        say(f"warning: {problem}")
    return lock


_EPILOG = """\b
Exit codes: 0 clean, 1 drift, 2 unusable input (a bad option, file,
project or target), 3 could not finish.

\b
Examples:
  envsnap check                        # ./pylock.toml or ./requirements.txt vs the venv
  envsnap check --no-env --format github requirements.txt
"""


@click.command(epilog=_EPILOG)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@python_option()
@project_options(project_help="to check the lock against", also="Also check {what}")
@click.option(
    "--no-env", is_flag=True, help="Check only the lock against pyproject.toml (no venv needed)."
)
@click.option(
    "--verify-files",
    is_flag=True,
    help="Hash every installed file listed in each package's RECORD and report "
    "modified or missing ones.",
)
@click.option(
    "--python-version", metavar="RANGE", help="With a bundle: check it for these CPython versions."
)
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="NAME",
    help="With a bundle: check it for this platform (repeatable) [default: this machine's].",
)
@report_options
@debug_option
def check(
    file: Path | None,
    python: str | None,
    project: Path | None,
    extras: tuple[str, ...],
    groups: tuple[str, ...],
    no_env: bool,
    verify_files: bool,
    python_version: str | None,
    platforms: tuple[str, ...],
    shown: ReportChoice,
    quiet: bool,
) -> None:
    """Report drift between the environment, FILE and pyproject.toml.

    FILE is a requirements file or pylock.toml [default: ./pylock.toml, else
    ./requirements.txt]. Reports locked packages that are missing, installed
    ones that are not locked, other versions or sources, broken requirements
    (as pip check does), and declared dependencies the lock lacks, pins
    outside the declared range, or no longer declares. Never changes the
    environment.

    FILE may be a bundle (a directory or .zip file made by envsnap bundle):
    then every file in it is checked against its lock, and check says whether
    it is complete for a Python and platform (-p INTERP, --python-version,
    --platform; default: the Python a restore of it would use) and what it
    lacks: exit 0 complete, 1 not, 2 a file that does not match its lock.
    """
    from envsnap.bundle.members import is_bundle  # noqa: PLC0415
    from envsnap.errors import InputError  # noqa: PLC0415

    if file is not None and is_bundle(file):
        _check_bundle(file, python, python_version, platforms)
    if python_version or platforms:
        raise click.UsageError("--python-version and --platform apply to a bundle only")
    if verify_files and no_env:
        raise click.UsageError(
            "--verify-files and --no-env cannot be used together: "
            "--verify-files reads the files of an environment"
        )
    with started_probe(python, skip=no_env) as probing:
        # the probe runs meanwhile: import the heavy modules only now
        from envsnap.compare.changes import Report, combine  # noqa: PLC0415
        from envsnap.lockfiles.readers import default_lock_file  # noqa: PLC0415

        path = file or default_lock_file(command="check")
        if not path.is_file():
            raise InputError(f"{path}: no such file", hint="give an existing lock file")
        lock = read_lock_file(path)
        declaration = _read_declaration(project, extras, groups, required=no_env)
        reports: list[Report] = []
        markers = None
        if not no_env:
            from envsnap.compare.drift import compare_env_to_lock  # noqa: PLC0415
            from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415

            note_pythonpath()
            snapshot = take_snapshot(python, project=declaration, started_probe=probing)
            announce(snapshot.environment)
            for warning in snapshot.warnings:
                say(f"warning: {warning}")
            markers = snapshot.environment.markers
            reports.append(
                compare_env_to_lock(
                    snapshot, lock, **shown.leaving_out, extras=extras, groups=groups or None
                )
            )
            if verify_files:
                from envsnap.compare.record import verify_files as verify  # noqa: PLC0415

                changes = verify(snapshot, ignore=shown.ignore)
                reports.append(Report(changes=tuple(changes), a_label="RECORD", b_label="files"))
        if declaration is not None:
            from envsnap.compare.drift import compare_lock_to_project  # noqa: PLC0415

            reports.append(
                compare_lock_to_project(lock, declaration, markers=markers, ignore=shown.ignore)
            )
        shown.emit(combine(*reports))


def _read_declaration(
    project: Path | None, extras: tuple[str, ...], groups: tuple[str, ...], *, required: bool
) -> ProjectDeclaration | None:
    """Read the project declaration to check against.

    ``None`` when no ``pyproject.toml`` is given or found (and none is required), or when
    it declares nothing (only tool settings).
    """
    from envsnap.environment.snapshot import default_project  # noqa: PLC0415
    from envsnap.errors import InputError  # noqa: PLC0415

    path = project or default_project()
    if path is None:
        if required or extras or groups:
            raise InputError(
                "no pyproject.toml in the current directory", hint="give it with --project PATH"
            )
        return None
    from envsnap.environment.project import read_project  # noqa: PLC0415

    declaration = read_project(path, extras=extras, groups=groups)
    if declaration.name is None and not declaration.dependencies and not required:
        return None
    return declaration


def _check_bundle(
    path: Path, python: str | None, python_version: str | None, platforms: tuple[str, ...]
) -> None:
    """``check BUNDLE``: its files against its lock, and is it complete; exit 0 or 1.

    An option but ``-p``, ``--python-version``, ``--platform`` and ``-q`` is a usage error.
    """
    from envsnap.bundle import check_bundle  # noqa: PLC0415
    from envsnap.cli.bundle import show_check  # noqa: PLC0415

    ctx = click.get_current_context()
    kept = {"file", "python", "python_version", "platforms", "quiet"}
    for param in ctx.command.params:
        if param.name in kept or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(f"{max(param.opts, key=len)} does not apply to a bundle")
    found = check_bundle(path, python=python, python_versions=python_version, platforms=platforms)
    sys.exit(show_check(found))
