"""``envsnap restore``: build a fresh venv exactly as a lock file says."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from envsnap import _report
from envsnap._text import counted
from envsnap.cli.options import (
    debug_option,
    extra_group_options,
    index_options,
    python_option,
    quiet_option,
    verbose_option,
)
from envsnap.cli.output import say
from envsnap.install.backend import INSTALLERS, LINK_MODES

if TYPE_CHECKING:
    from envsnap.index.settings import IndexOptions
    from envsnap.install.backend import InstallerName, LinkMode

_EPILOG = """\b
Exit codes: 0 restored, 2 unusable input (a bad option or lock file, no
matching interpreter, a directory that is not only a venv), 3 the build,
install or check failed (the old venv is back in place).

\b
Examples:
  envsnap restore pylock.toml --venv .venv -p 3.12
  envsnap restore --installer pip --link-mode copy
"""


@click.command(epilog=_EPILOG)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--venv",
    "venv",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".venv"),
    show_default=True,
    help="The venv directory to build (an existing venv there is replaced only on success; "
    "a directory holding anything but a venv is refused).",
)
@python_option(
    help="The interpreter the new venv is built from (as uv's --python): a path, a "
    "version (3.12) or a name on PATH [default: a Python matching the file, on PATH or in "
    "pyenv/asdf/uv installs]. ENVSNAP_PYTHON is not read: it names an environment to read, "
    "not one to build from.",
    envvar=None,
)
@click.option("--strict", is_flag=True, help="Refuse a file that does not pin every package.")
@click.option(
    "--installer",
    type=click.Choice(INSTALLERS),
    default=None,
    envvar="ENVSNAP_INSTALLER",
    show_envvar=True,
    help="uv: uv creates the venv and installs (the default); pip: the standard library's "
    "venv and the new venv's own pip [default: uv, or pip where uv cannot serve the "
    "interpreter, with a note].",
)
@click.option("--without-pip", is_flag=True, help="Do not put pip into the new venv (uv installs).")
@extra_group_options(
    extra_help="Install this extra of a pylock file (repeatable).",
    group_help="Install this dependency group of a pylock file (repeatable) "
    "[default: its default groups].",
)
@click.option(
    "--link-mode",
    type=click.Choice(LINK_MODES),
    default=None,
    help="How uv puts files from its cache into the venv [default: uv's, clone where the "
    "file system can, else hardlink]. With hardlink or symlink, editing an installed file "
    "edits uv's cache and every venv linked to it; copy costs disk and time.",
)
@click.option(
    "--compile", "compile_bytecode", is_flag=True, help="Compile the installed modules to bytecode."
)
@click.option("--offline", is_flag=True, help="Install from the installer's cache only.")
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="ENVSNAP_NO_CACHE",
    show_envvar=True,
    help="Let the installer neither read nor write its cache.",
)
@click.option("--keep-old", is_flag=True, help="Keep the replaced venv next to the new one.")
@click.option(
    "--dry-run", is_flag=True, help="Print the plan and the commands it would run; change nothing."
)
@click.option(
    "--recover",
    is_flag=True,
    help="Put back the old venv an interrupted restore left next to --venv, and stop.",
)
@index_options(purpose="to install from")
@quiet_option(help="Print errors only.")
@verbose_option(help="Show each installer command and its output.")
@debug_option
def restore(
    file: Path | None,
    venv: Path,
    python: str | None,
    strict: bool,
    installer: str | None,
    without_pip: bool,
    extras: tuple[str, ...],
    groups: tuple[str, ...],
    link_mode: str | None,
    compile_bytecode: bool,
    offline: bool,
    no_cache: bool,
    keep_old: bool,
    dry_run: bool,
    recover: bool,
    index: IndexOptions,
    quiet: bool,
    verbose: bool,
) -> None:
    """Build a fresh venv from FILE, verify it, and put it in place of --venv.

    FILE defaults to ./pylock.toml, then ./requirements.txt. The new venv is
    made from an interpreter matching the Python version the file records,
    gets exactly the file's packages (hashes enforced), is checked against the
    file (versions, sources, every package's Requires-Python), and only then
    replaces what was at --venv. On any failure, Ctrl-C or SIGTERM the old
    venv is put back untouched.

    FILE may be a bundle (a directory or .zip file made by envsnap bundle):
    every file in it is checked against its lock before anything is built,
    and the restore needs no network (no index, uv offline).

    uv installs, with the index pip would use (options, PIP_* variables,
    pip's configuration, pip's default), trusted hosts, certificates and
    proxies passed explicitly; uv's own configuration files are not read.
    Plain-http indexes and files are refused unless their host is loopback
    or given with --trusted-host (as pip does).
    """
    import contextlib  # noqa: PLC0415
    import dataclasses  # noqa: PLC0415

    import envsnap.restore as engine  # noqa: PLC0415
    from envsnap.bundle.members import is_bundle  # noqa: PLC0415
    from envsnap.lockfiles.readers import default_lock_file  # noqa: PLC0415

    if recover:
        target, moved = engine.recover(venv)
        if moved is not None:
            say(f"moved what was at {target} to {moved} (not deleted)")
        say(f"recovered the old venv at {target}")
        return
    options = engine.RestoreOptions(
        venv=venv,
        python=python,
        strict=strict,
        installer=cast("InstallerName | None", installer),  # click.Choice(INSTALLERS)
        with_pip=not without_pip,
        extras=extras,
        groups=groups or None,
        link_mode=cast("LinkMode | None", link_mode),  # click.Choice(LINK_MODES)
        compile_bytecode=compile_bytecode,
        offline=offline,
        use_cache=not no_cache,
        keep_old=keep_old,
        index=dataclasses.replace(  # pip takes a relative path from its working directory
            index,
            find_links=tuple(
                str(Path(f).absolute()) if Path(f).exists() else f for f in index.find_links
            ),
        ),
    )
    path = file if file is not None else default_lock_file(Path.cwd())
    with contextlib.ExitStack() as stack:
        notes: tuple[str, ...] = ()
        shown = path
        if is_bundle(path):  # every file checked before anything is built; then offline
            from envsnap.bundle import open_bundle  # noqa: PLC0415

            opened = stack.enter_context(open_bundle(path))
            _report.stage(
                "check", f"{path}: {counted(opened.files, 'file')}, each matching its hash"
            )
            options, notes = opened.restore_options(options)
            shown, path = path / opened.lock_file.name, opened.lock_file
        plan = engine.plan_restore(path, options)
        if shown != path:  # messages name the bundle, not where a zip file was unpacked
            plan = dataclasses.replace(plan, file=shown)
        packages = (
            f"{counted(len(plan.lock.packages), 'package')} ({len(plan.lock.top_level)} top-level)"
        )
        _report.stage("read", f"{shown}: {packages}")
        _report.note(f"Using Python {plan.interpreter.version} ({plan.python_reason})")
        if dry_run:  # the plan holds the notes: each is printed once
            for line in [*plan.describe(), *(f"note: {n}" for n in notes)]:
                say(line, err=False)
            return
        for note in (*notes, *plan.notes):
            _report.note(f"note: {note}")
        result = engine.restore(plan)
    for note in result.notes:
        _report.note(f"note: {note}")
    if result.kept_old is not None:
        _report.note(f"kept the old venv at {result.kept_old}")
