"""``envsnap freeze``: snapshot the target environment into a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from envsnap import _report
from envsnap._text import counted
from envsnap.cli import announce, note_pythonpath, started_probe
from envsnap.cli.options import (
    debug_option,
    format_option,
    index_options,
    project_options,
    python_option,
    quiet_option,
    verbose_option,
)
from envsnap.cli.output import say, show
from envsnap.lockfiles import FORMATS, DumpOptions, format_for_path, get_writer

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from envsnap.environment.project import ProjectDeclaration
    from envsnap.environment.snapshot import Snapshot
    from envsnap.index.repository import HashSource
    from envsnap.index.settings import IndexOptions, IndexSettings


_EPILOG = """\b
Exit codes: 0 written, 2 unusable input (a bad option, file or target;
--explain of a name not installed), 3 could not finish (an index that
does not answer, for pylock and --hashes).

\b
Examples:
  envsnap freeze -p .venv -o requirements.txt
  envsnap freeze -o pylock.toml --find-links ./wheels
"""


@click.command(epilog=_EPILOG)
@python_option()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (atomically; '-' is stdout) instead of stdout; the format follows the "
    "name (pylock*.toml, *.json, else requirements).",
)
@format_option(FORMATS, help="Output format [default: from the --output name, else requirements].")
@click.option("--no-annotate", is_flag=True, help="Leave out the '# via' lines.")
@click.option(
    "--top-level-only",
    is_flag=True,
    help="Write only the top-level pins (requirements and json; a pylock lists every package).",
)
@click.option(
    "--constraints",
    is_flag=True,
    help="Write every pin as a pip constraints file (-c), editable installs as name @ "
    "file:///PATH (with --top-level-only the two files regenerate the environment).",
)
@click.option(
    "--exclude", multiple=True, metavar="NAME", help="Leave out this distribution (repeatable)."
)
@click.option(
    "--all",
    "include_tools",
    is_flag=True,
    help="Include pip, setuptools, wheel and distribute (left out by default, as pip freeze).",
)
@click.option(
    "--include-system",
    is_flag=True,
    help="Include the base Python's packages of a venv made with --system-site-packages.",
)
@project_options(
    project_help="whose dependencies count as declared", also="Also count {what} as declared"
)
@click.option(
    "--hashes",
    is_flag=True,
    help="Add --hash=sha256:... lines to requirements.txt (from the index pip would use).",
)
@index_options(purpose="to take file URLs and hashes from (pylock, --hashes)")
@click.option(
    "--ask-index",
    is_flag=True,
    help="Take file URLs and hashes from the index even for packages whose installed file "
    "is recorded (provenance_url.json, PEP 710, written by envsnap restore), and warn where "
    "the index no longer has that file or gives it another hash. Every index page is asked "
    "for again (conditionally), none answered from envsnap's page cache alone.",
)
@click.option(
    "--explain",
    "explain",
    multiple=True,
    metavar="NAME",
    help="Print why NAME is top-level or transitive (REQUESTED/INSTALLER, dependents, "
    "extras) on stdout instead of writing the file (repeatable).",
)
@quiet_option()
@verbose_option(help="Also say, for each inferred extra, which packages it explains.")
@click.option(
    "--portable",
    is_flag=True,
    help="Lock for other platforms and Python versions too: pins carry PEP 508 markers, and "
    "what other targets need is resolved from the index (requirements format).",
)
@click.option(
    "--python-version",
    metavar="RANGE",
    help="With --portable: CPython versions to support, e.g. 3.12, 3.10-3.13 [default: all "
    "the installed packages allow]. Versions asked for that a transitive package excludes "
    "get other versions of it; those a top-level package excludes are left out, with a "
    "warning.",
)
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="NAME",
    help="With --portable: a platform to support (repeatable), e.g. linux-x86_64, "
    "macos-arm64, windows-amd64 [default: Linux, macOS, Windows].",
)
@click.option(
    "--drop-unresolvable",
    is_flag=True,
    help="With --portable: leave out targets with no resolution instead of failing.",
)
@debug_option
def freeze(
    python: str | None,
    output: Path | None,
    format_name: str | None,
    no_annotate: bool,
    top_level_only: bool,
    constraints: bool,
    exclude: tuple[str, ...],
    include_tools: bool,
    include_system: bool,
    project: Path | None,
    extras: tuple[str, ...],
    groups: tuple[str, ...],
    hashes: bool,
    index: IndexOptions,
    ask_index: bool,
    explain: tuple[str, ...],
    quiet: bool,
    verbose: bool,
    portable: bool,
    python_version: str | None,
    platforms: tuple[str, ...],
    drop_unresolvable: bool,
) -> None:
    """Snapshot the target environment: top-level pins, then transitive ones.

    Reads every installed distribution of the target venv (its own
    site-packages only), builds the dependency graph for that environment's
    markers, and writes each package as top-level (declared in pyproject.toml,
    requested by the user, or required by nothing) or transitive (with the
    packages it comes via). A package nothing requires is first explained by
    an extra of a top-level package when it can be (written on that line:
    uvicorn[standard]). Never changes the environment.
    """
    from envsnap.errors import InputError  # noqa: PLC0415

    if output == Path("-"):  # stdout, as when no file is named
        output = None
    fmt = format_name or (format_for_path(output) if output else "requirements")
    if format_name is None and fmt != "pylock" and output and output.suffix.lower() == ".toml":
        # requirements text in a file named *.toml would help no one
        raise InputError(
            f"{output}: PEP 751 names a lock file pylock.toml or pylock.NAME.toml",
            hint="name the output so, or say --format pylock or --format requirements",
        )
    chosen = f"--format {fmt}" if format_name or output is None else f"--output {output.name}"
    _refuse_conflicts(
        fmt,
        chosen,
        top_level_only=top_level_only,
        hashes=hashes,
        constraints=constraints,
        portable=portable,
    )
    with started_probe(python) as probing:
        # the probe runs meanwhile: import the heavy modules only now
        from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415

        note_pythonpath()
        declaration = _declaration(project, extras, groups)
        snap = take_snapshot(
            python, project=declaration, include_system=include_system, started_probe=probing
        )
        announce(snap.environment)
        for warning in snap.warnings:
            say(f"warning: {warning}")
        for unmet in snap.unsatisfied:
            # what pip check says; the file is written anyway, as pip freeze does
            say(f"warning: {unmet.describe()}")
        if explain:
            _explain(snap, explain)
            return
        _report.note(snap.summary(include_tools=include_tools, exclude=exclude))
        by_name = {d.name: d.display_name for d in snap.distributions}
        for label, names in snap.explains.items() if verbose else ():
            shown = ", ".join(sorted(by_name[n] for n in names))
            _report.note(f"note: {label} inferred: it explains {shown}")

        def settings() -> IndexSettings:
            """Return the index pip would use, asked of pip (and imported) only if needed."""
            from envsnap.index.settings import settings_for_lock  # noqa: PLC0415

            return settings_for_lock(index, (), base=Path.cwd(), commands=("download", "install"))

        if portable or python_version or platforms or drop_unresolvable:
            _freeze_portable(
                snap,
                settings(),
                fmt,
                output,
                hashes=hashes,
                portable=portable,
                python_version=python_version,
                platforms=platforms,
                drop_unresolvable=drop_unresolvable,
            )
            return
        options = DumpOptions(
            output_dir=output.parent if output else Path.cwd(),
            annotate=not no_annotate,
            top_level_only=top_level_only,
            constraints=constraints,
            include_tools=include_tools,
            exclude=frozenset(exclude),
        )
        if fmt == "pylock" or hashes:  # file hashes from the index pip would use
            options = _with_hash_source(
                snap, options, fmt, settings=settings(), ask_index=ask_index
            )
        text = get_writer(fmt)(snap, options)
        if fmt == "pylock":
            _say_disagreements(options.hash_source)
        if output is None:
            show(text)
            return
        from envsnap._io import write_output  # noqa: PLC0415

        write_output(output, text)
        listed = snap.listed(include_tools=include_tools, exclude=exclude)
        top = sum(1 for d in listed if snap.reasons[d.name].top_level)
        rest = "" if top_level_only else f", {len(listed) - top} transitive"
        _report.note(f"wrote {output}: {top} top-level{rest}")


def _refuse_conflicts(
    fmt: str, chosen: str, *, top_level_only: bool, hashes: bool, constraints: bool, portable: bool
) -> None:
    """Raise :class:`click.UsageError` for options that cannot go with each other or ``fmt``.

    ``chosen`` names the format as the user chose it: ``--format X`` or ``--output NAME``.
    """
    if constraints and (fmt != "requirements" or top_level_only or portable):
        other = "--top-level-only" if top_level_only else "--portable" if portable else chosen
        raise click.UsageError(
            f"--constraints and {other} cannot be used together: --constraints writes every "
            "pin of the environment as a requirements-format constraints file"
        )
    if top_level_only and fmt == "pylock":
        raise click.UsageError(
            f"--top-level-only and {chosen} cannot be used together: a pylock.toml "
            "lists every package (write requirements.txt for the top-level pins)"
        )
    if hashes and fmt not in {"pylock", "requirements"}:  # a pylock has hashes anyway
        raise click.UsageError(
            f"--hashes and {chosen} cannot be used together: --hashes adds hashes to "
            "requirements.txt"
        )


def _declaration(
    project: Path | None, extras: tuple[str, ...], groups: tuple[str, ...]
) -> ProjectDeclaration | None:
    """Read the project whose dependencies count as declared (``--project``, ``./pyproject.toml``).

    A broken ``./pyproject.toml`` found by default is a warning, unless ``--extra`` or
    ``--group`` are given; one named with ``--project`` is an error.
    """
    from envsnap.environment.snapshot import default_project  # noqa: PLC0415
    from envsnap.errors import InputError  # noqa: PLC0415

    project_path = project or default_project()
    if project_path is None and (extras or groups):
        raise InputError(
            "--extra and --group select parts of a pyproject.toml, and there is none here",
            hint="name the project with --project PATH",
        )
    if project_path is None:
        return None
    from envsnap.environment.project import read_project  # noqa: PLC0415

    try:
        return read_project(project_path, extras=extras, groups=groups)
    except InputError as exc:
        if project is not None or extras or groups:
            raise
        say(f"warning: {exc.message}; declared dependencies not used")
        return None


def _explain(snap: Snapshot, names: tuple[str, ...]) -> None:
    """Print :meth:`Snapshot.explain` for each name on stdout; exit 2 for one not installed."""
    from envsnap.errors import InputError  # noqa: PLC0415

    missing = [n for n in names if snap.get(n) is None]
    if missing:
        raise InputError(
            f"--explain {missing[0]}: no such distribution in {snap.environment.prefix}",
            hint="name an installed distribution (any spelling)",
        )
    show("\n\n".join(snap.explain(n) for n in names) + "\n")


def _say_disagreements(source: HashSource | None) -> None:
    """Warn where the index contradicts a recorded file (``--ask-index``)."""
    for line in sorted(getattr(source, "disagreements", ())):
        say(f"warning: {line}")


def _with_hash_source(
    snap: Snapshot, options: DumpOptions, fmt: str, *, settings: IndexSettings, ask_index: bool
) -> DumpOptions:
    """Add the hash source (pylock.toml) or the ``--hash`` values (requirements.txt).

    Files recorded at install (PEP 710, by ``envsnap restore``) answer before the index,
    unless ``ask_index``; then the index answers and contradictions are warned about.
    """
    import dataclasses  # noqa: PLC0415

    from envsnap.environment.distributions import read_provenance  # noqa: PLC0415
    from envsnap.environment.target import environment_tags  # noqa: PLC0415
    from envsnap.errors import OperationError  # noqa: PLC0415
    from envsnap.index.repository import (  # noqa: PLC0415
        ProvenanceSource,
        collect,
        pip_hashes,
        source_for,
    )

    for note in settings.notes:
        say(f"note: {note}")
    if settings.has_credentials():
        say("note: index credentials are used for requests, never written")
    listed = snap.listed(include_tools=options.include_tools, exclude=options.exclude)
    source = source_for(settings, revalidate=ask_index)
    recorded = {
        d.name: record
        for d in listed
        if d.origin.kind == "index" and (record := read_provenance(d)) is not None
    }
    if recorded:
        source = ProvenanceSource(recorded, source, ask_index)
    if fmt == "pylock":
        return dataclasses.replace(options, hash_source=source)
    wanted = [(d.name, d.version) for d in listed if d.origin.kind == "index"]
    found: dict[NormalizedName, tuple[str, ...]] = {}
    if wanted:
        if source is None:
            raise OperationError(
                "--hashes needs file hashes, and --no-index leaves no index to take them from",
                hint="drop --no-index, or name a wheelhouse with --find-links DIR",
            )
        files = collect(source, wanted, tags=environment_tags(snap.environment))
        _say_disagreements(source)
        found = {name: pip_hashes(f) for name, f in files.items()}
    for dist in listed:
        if dist.origin.archive_hash:
            found[dist.name] = ("sha256:" + dist.origin.archive_hash.partition("=")[2],)
        elif dist.origin.kind in {"vcs", "directory"}:
            say(
                f"warning: {dist.display_name} is installed from {dist.origin.kind}; pip cannot "
                "install it in --require-hashes mode"
            )
    return dataclasses.replace(options, hashes=found)


def _freeze_portable(
    snap: Snapshot,
    settings: IndexSettings,
    fmt: str,
    output: Path | None,
    *,
    hashes: bool,
    portable: bool,
    python_version: str | None,
    platforms: tuple[str, ...],
    drop_unresolvable: bool,
) -> None:
    """Write the portable lock (``--portable``; see :mod:`envsnap.portable`)."""
    from envsnap.portable.freeze import (  # noqa: PLC0415
        freeze_portable,
        report_lines,
        requirements_lines,
    )

    if not portable:
        raise click.UsageError(
            "--python-version, --platform and --drop-unresolvable need --portable"
        )
    if fmt not in ("requirements", "pylock"):
        raise click.UsageError(f"--portable writes requirements.txt or pylock.toml, not {fmt}")
    result = freeze_portable(
        snap,
        settings,
        python_versions=python_version,
        platforms=platforms,
        drop_unresolvable=drop_unresolvable,
    )
    for line in report_lines(result):
        say(line)
    if fmt == "pylock":
        from envsnap.portable.pylock import pylock_text  # noqa: PLC0415

        text = pylock_text(result, snap, output=output)
    else:
        text = "\n".join(requirements_lines(result, hashes=hashes)) + "\n"
    if output is None:
        show(text)
        return
    from envsnap._io import atomic_write  # noqa: PLC0415

    try:
        atomic_write(output, text)
    except OSError as exc:
        from envsnap.errors import InputError  # noqa: PLC0415

        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from None
    say(
        f"wrote {output}: {counted(len(result.pins), 'pin')} for "
        f"{counted(len(result.targets), 'target')}"
    )
