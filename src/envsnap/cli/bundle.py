"""``envsnap bundle``: a lock and the files it needs, for a restore with no network.

Also :func:`show_check`, what ``envsnap check BUNDLE`` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from envsnap import _report
from envsnap._text import counted
from envsnap.bundle.members import SDIST_NOTE
from envsnap.cli.options import debug_option, index_options, python_option, quiet_option
from envsnap.cli.output import show

if TYPE_CHECKING:
    from envsnap.bundle import BundleCheck

_EPILOG = """\b
Exit codes: 0 written, 2 unusable input (a bad option or lock, a package
that is no file, a target the lock leaves out), 3 could not finish (an
index or file URL that does not answer, a file that does not match its
hash; nothing is left at --output).

\b
Examples:
  envsnap bundle pylock.toml -o bundle.zip
  envsnap bundle requirements.txt -o wheels/ --python-version 3.12 --platform linux-aarch64
  envsnap restore bundle.zip --venv .venv      # no network needed
"""

PYTHON_VERSION_HELP = (
    "CPython versions to cover, e.g. 3.12, 3.10-3.13 [default: a portable lock's own "
    "targets, else the Python the lock records]."
)
PLATFORM_HELP = (
    "A platform to cover (repeatable), e.g. linux-x86_64, linux-aarch64, macos-arm64, "
    "windows-amd64 [default with --python-version: this machine's]."
)


@click.command(epilog=_EPILOG)
@click.argument("lock", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Write the bundle here: FILE.zip for a zip file, else a directory (an earlier "
    "bundle there is replaced; anything else is refused).",
)
@python_option(
    help="The interpreter to bundle for [default: the one `envsnap restore` would build the "
    "lock's venv from: a Python matching the lock].",
    envvar=None,
)
@click.option("--python-version", "python_versions", metavar="RANGE", help=PYTHON_VERSION_HELP)
@click.option("--platform", "platforms", multiple=True, metavar="NAME", help=PLATFORM_HELP)
@index_options(purpose="to take a requirements file's files from")
@quiet_option(help="Print errors only.")
@debug_option
def bundle(lock: Path | None, quiet: bool, **options: Any) -> None:  # noqa: ANN401
    """Write LOCK and every file it installs into a directory or zip file.

    LOCK is a pylock.toml or a pinned requirements file [default:
    ./pylock.toml, else ./requirements.txt]. The bundle holds a pylock.toml
    whose every wheel and sdist has a relative path and its sha256, next to
    the files: `envsnap restore BUNDLE` installs it with no network at all,
    and pip (26.1+) or uv install the unpacked bundle as any lock file.

    It covers this machine (the Python a restore of LOCK would use) by
    default; a portable lock's own targets; or those named with
    --python-version and --platform. Files come from where a pylock file
    says, or for a requirements file from the index pip would use; every
    file is checked against its hash as it is added, and streamed, never
    held in memory.
    """
    from envsnap.bundle import BundleOptions, make_bundle  # noqa: PLC0415
    from envsnap.lockfiles.readers import default_lock_file  # noqa: PLC0415

    path = lock if lock is not None else default_lock_file(command="bundle")
    result = make_bundle(path, BundleOptions(**options))  # its fields are the options' names
    for note in result.notes:
        _report.note(f"note: {note}")
    _report.note(
        f"wrote {result.path}: {counted(result.packages, 'package')}, "
        f"{counted(result.files, 'file')} "
        f"({size_text(result.size)}) for {', '.join(result.targets)}"
    )


def show_check(found: BundleCheck) -> int:
    """Print what ``envsnap check BUNDLE`` found (stdout) and return its exit code.

    Returns:
        0 when the bundle is complete for every target, else 1.
    """
    lines = [
        f"{found.bundle}: {counted(found.files, 'file')} ({size_text(found.size)}), "
        "each matching its hash in the bundle's lock"
    ]
    for target in found.targets:
        if target.complete:
            lines.append(f"complete for {target.target} ({counted(target.packages, 'package')})")
        else:
            lines.append(f"not complete for {target.target}:")
            if target.refused:
                lines.append(f"  {target.refused}: installers refuse the lock there")
            if target.lacking:
                lines.append(
                    f"  {len(target.lacking)} of {counted(target.packages, 'package')} "
                    f"{'has' if len(target.lacking) == 1 else 'have'} no file "
                    "in the bundle:"
                )
                lines += [f"    {line}" for line in target.lacking]
    show("".join(f"{line}\n" for line in lines))
    for target in found.targets:
        for sdist in target.sdists:
            _report.note(f"note: {target.target}: {sdist} {SDIST_NOTE}")
    return 0 if found.complete else 1


def size_text(size: int) -> str:
    """``38.2 MB`` (decimal units), ``812 kB`` or ``96 bytes``."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1000:
        return f"{size / 1000:.0f} kB"
    return f"{size} bytes"
