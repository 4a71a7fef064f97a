"""``envsnap restore``: build a fresh venv exactly as a lock file says."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from envsnap.cli.options import (
    debug_option,
    extra_group_options,
    index_options,
    python_option,
    quiet_option,
    verbose_option,
)
from envsnap.install.external import INSTALLERS

if TYPE_CHECKING:
    from collections.abc import Callable


_EPILOG = """\b
Exit codes: 0 restored, 2 unusable input (a bad option or lock file, no
matching interpreter), 3 the build, install or check failed (the old venv
is back in place).

\b
Example:
  envsnap restore pylock.toml --venv .venv -p 3.12
"""


@click.command(epilog=_EPILOG)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--venv",
    "venv",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".venv"),
    show_default=True,
    help="The venv directory to build (an existing venv there is replaced only on success).",
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
    default="direct",
    show_default=True,
    envvar="ENVSNAP_INSTALLER",
    show_envvar=True,
    help="direct: envsnap fetches, verifies and installs the wheels itself (pip only for "
    "sdists, VCS and directories); pip: the new venv's own pip; uv: uv (the 'uv' extra).",
)
@click.option("--without-pip", is_flag=True, help="Do not put pip into the new venv.")
@extra_group_options(
    extra_help="Install this extra of a pylock file (repeatable).",
    group_help="Install this dependency group of a pylock file (repeatable) "
    "[default: its default groups].",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="ENVSNAP_NO_CACHE",
    show_envvar=True,
    help="Do not keep downloads in the cache (ENVSNAP_CACHE_DIR).",
)
@click.option(
    "--compile", "compile_bytecode", is_flag=True, help="Compile the installed modules to bytecode."
)
@click.option("--keep-old", is_flag=True, help="Keep the replaced venv next to the new one.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option(
    "--recover",
    is_flag=True,
    help="Put back the old venv an interrupted restore left next to --venv, and stop.",
)
@index_options(purpose="to install from")
@quiet_option(help="Print errors only.")
@verbose_option(help="Show the installer's output.")
@debug_option
def restore(
    file: Path | None,
    venv: Path,
    python: str | None,
    strict: bool,
    installer: str,
    without_pip: bool,
    extras: tuple[str, ...],
    groups: tuple[str, ...],
    no_cache: bool,
    compile_bytecode: bool,
    keep_old: bool,
    dry_run: bool,
    recover: bool,
    index_url: str | None,
    extra_index_urls: tuple[str, ...],
    find_links: tuple[str, ...],
    no_index: bool,
    trusted_hosts: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Build a fresh venv from FILE, verify it, and put it in place of --venv.

    FILE defaults to ./pylock.toml, then ./requirements.txt. The new venv is
    made from an interpreter matching the Python version the file records,
    gets exactly the file's packages (hashes enforced), is checked against the
    file, and only then replaces what was at --venv. On any failure, Ctrl-C or
    SIGTERM the old venv is put back untouched.

    Plain-http indexes and files are refused unless their host is loopback or
    given with --trusted-host (as pip does). Local paths outside the lock
    file's directory are listed before anything is installed.
    """
    from envsnap import restore as engine  # noqa: PLC0415
    from envsnap.index.secure import trusted_hosts_from as trusted_from  # noqa: PLC0415
    from envsnap.lockfiles.readers import default_lock_file  # noqa: PLC0415

    start = time.monotonic()

    def progress(stage: str, message: str) -> None:
        if not quiet:
            click.echo(f"{stage}: {message} [{time.monotonic() - start:.1f}s]", err=True)

    if recover:
        target, moved = engine.recover(venv)
        if moved is not None:
            click.echo(f"moved what was at {target} to {moved} (not deleted)", err=True)
        click.echo(f"recovered the old venv at {target}", err=True)
        return
    index_args = _index_args(index_url, extra_index_urls, find_links, no_index=no_index)
    options = engine.RestoreOptions(
        venv=venv,
        python=python,
        strict=strict,
        installer="uv" if installer == "uv" else "pip" if installer == "pip" else "direct",
        with_pip=not without_pip,
        extras=extras,
        groups=groups or None,
        use_cache=not no_cache,
        compile_bytecode=compile_bytecode,
        keep_old=keep_old,
        index_args=tuple(index_args),
        trusted_hosts=trusted_from(trusted_hosts),
    )
    path = file if file is not None else default_lock_file(Path.cwd())
    plan = engine.plan_restore(path, options)
    progress(
        "read",
        f"{path}: {len(plan.lock.packages)} packages ({len(plan.lock.top_level)} top-level)",
    )
    if dry_run:  # the plan holds the notes: each is printed once
        for line in plan.describe():
            click.echo(line)
        return
    for note in plan.notes if not quiet else ():
        click.echo(f"note: {note}", err=True)
    echo_output = (lambda line: click.echo(line, err=True)) if verbose else None
    live = not quiet and sys.stderr.isatty()
    ticker = _Ticker() if live else None
    try:
        result = engine.restore(
            plan, progress=_ended(progress, ticker), output=echo_output, counter=ticker
        )
    finally:
        if ticker is not None:
            ticker.end()
    for note in result.notes if not quiet else ():
        click.echo(f"note: {note}", err=True)
    if result.kept_old is not None and not quiet:
        click.echo(f"kept the old venv at {result.kept_old}", err=True)


def _index_args(
    index_url: str | None,
    extra_index_url: tuple[str, ...],
    find_links: tuple[str, ...],
    *,
    no_index: bool,
) -> list[str]:
    """Return pip's index options from the CLI's (relative --find-links made absolute)."""
    index_args: list[str] = []
    if index_url:
        index_args += ["--index-url", index_url]
    for url in extra_index_url:
        index_args += ["--extra-index-url", url]
    for link in find_links:
        # pip takes a relative path from its working directory (the file's)
        local = Path(link)
        index_args += ["--find-links", str(local.absolute()) if local.exists() else link]
    if no_index:
        index_args.append("--no-index")
    return index_args


class _Ticker:
    """One progress bar line on a terminal's stderr: files (and bytes) of the current stage.

    Called as ``ticker(stage, done, total)`` by the restore core: ``download``
    and ``install`` count packages, ``bytes`` counts downloaded bytes (shown on
    the download bar). A new stage replaces the bar.
    """

    def __init__(self) -> None:
        self._bar: Any = None  # click's ProgressBar (its class is not public)
        self._stage = ""
        self._bytes = (0, 0)
        self._lock = threading.Lock()
        self._drawn = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._tick(stage, done, total)

    def _tick(self, stage: str, done: int, total: int) -> None:
        if stage == "bytes":  # from download threads: redraw at most 10 times a second
            self._bytes = (done, total)
            now = time.monotonic()
            if self._bar is not None and now - self._drawn > 0.1:
                self._drawn = now
                self._bar.render_progress()
            return
        if stage != self._stage or self._bar is None:
            self._end()
            self._stage = stage
            self._bar = click.progressbar(
                length=total,
                label=f"  {stage}",
                file=sys.stderr,
                show_pos=True,
                show_eta=False,
                item_show_func=self._detail,
                width=24,
            )
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)

    def _detail(self, _item: object) -> str | None:
        done, total = self._bytes
        if self._stage != "download" or not done:
            return None
        return f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"

    def end(self) -> None:
        """Finish and clear the bar."""
        with self._lock:
            self._end()

    def _end(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
            click.echo("\r\x1b[K\x1b[1A\x1b[K", err=True, nl=False, color=True)
        self._stage = ""
        self._bytes = (0, 0)


def _ended(
    progress: Callable[[str, str], None], ticker: _Ticker | None
) -> Callable[[str, str], None]:
    """Clear the counter before each stage line."""
    if ticker is None:
        return progress

    def say(stage: str, message: str) -> None:
        ticker.end()
        progress(stage, message)

    return say
