"""``envsnap restore``: build a fresh venv exactly as a lock file says."""

from __future__ import annotations

import time
from pathlib import Path

import click

from envsnap.cli import debug_option, handle_errors

_INDEX_OPTIONS = ("--index-url", "--extra-index-url", "--find-links")


@click.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--venv",
    "venv",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".venv"),
    show_default=True,
    help="The venv directory to build (an existing venv there is replaced only on success).",
)
@click.option(
    "--python",
    "python",
    metavar="INTERP",
    help="Base interpreter for the new venv [default: python3.X on PATH matching the file].",
)
@click.option("--strict", is_flag=True, help="Refuse a file that does not pin every package.")
@click.option(
    "--installer",
    type=click.Choice(["pip", "uv"]),
    default="pip",
    show_default=True,
    help="Install with the host's pip, or with uv (the 'uv' extra).",
)
@click.option("--without-pip", is_flag=True, help="Do not put pip into the new venv.")
@click.option("--keep-old", is_flag=True, help="Keep the replaced venv next to the new one.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option(
    "--recover",
    is_flag=True,
    help="Put back the old venv an interrupted restore left next to --venv, and stop.",
)
@click.option("--index-url", metavar="URL", help="Base URL of the package index (pip's option).")
@click.option("--extra-index-url", metavar="URL", multiple=True, help="Another index (repeatable).")
@click.option(
    "--find-links", metavar="DIR|URL", multiple=True, help="Look for files here too (repeatable)."
)
@click.option("--no-index", is_flag=True, help="Use no index (with --find-links).")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Show the installer's output.")
@debug_option
def restore(
    file: Path | None,
    venv: Path,
    python: str | None,
    strict: bool,
    installer: str,
    without_pip: bool,
    keep_old: bool,
    dry_run: bool,
    recover: bool,
    index_url: str | None,
    extra_index_url: tuple[str, ...],
    find_links: tuple[str, ...],
    no_index: bool,
    quiet: bool,
    verbose: bool,
    debug: bool,
) -> None:
    """Build a fresh venv from FILE, verify it, and put it in place of --venv.

    FILE defaults to ./pylock.toml, then ./requirements.txt. The new venv is
    made from an interpreter matching the Python version the file records,
    gets exactly the file's packages (hashes enforced), is checked against the
    file, and only then replaces what was at --venv. On any failure, Ctrl-C or
    SIGTERM the old venv is put back untouched.

    Exit codes: 0 ok, 2 unusable input, 3 the build, install or check failed.
    """
    from envsnap import restore as engine  # noqa: PLC0415
    from envsnap.readers import default_lock_file  # noqa: PLC0415

    start = time.monotonic()

    def progress(stage: str, message: str) -> None:
        if not quiet:
            click.echo(f"{stage}: {message} [{time.monotonic() - start:.1f}s]", err=True)

    with handle_errors(debug=debug):
        if recover:
            target, moved = engine.recover(venv)
            if moved is not None:
                click.echo(f"moved what was at {target} to {moved} (not deleted)", err=True)
            click.echo(f"recovered the old venv at {target}", err=True)
            return
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
        options = engine.RestoreOptions(
            venv=venv,
            python=python,
            strict=strict,
            installer="uv" if installer == "uv" else "pip",
            with_pip=not without_pip,
            keep_old=keep_old,
            index_args=tuple(index_args),
        )
        path = file if file is not None else default_lock_file()
        plan = engine.plan_restore(path, options)
        progress(
            "read",
            f"{path}: {len(plan.lock.packages)} packages ({len(plan.lock.top_level)} top-level)",
        )
        for note in plan.notes:
            click.echo(f"note: {note}", err=True)
        if dry_run:
            for line in plan.describe():
                click.echo(line)
            return
        echo_output = (lambda line: click.echo(line, err=True)) if verbose else None
        result = engine.restore(plan, progress=progress, output=echo_output)
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        if result.kept_old is not None:
            click.echo(f"kept the old venv at {result.kept_old}", err=True)
