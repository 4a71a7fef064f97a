"""pip or uv run on a whole requirements file for the new venv, and on the base packages.

The pip and uv backends install the file this way, and so does the built-in
backend when a pinned file's closure has a gap (pip resolves it). The
installer's last output lines go into the error, credentials removed.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import OperationError
from envsnap.install.backend import program_backend
from envsnap.restore.seed import pip_for_installer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envsnap.install.backend import ProgramBackend
    from envsnap.lock import Lock
    from envsnap.restore.context import NewVenv, RestoreRun
    from envsnap.restore.plan import RestorePlan

__all__ = ["TAIL", "install_base_packages", "install_file"]

TAIL = 15
"""How many installer output lines / drift items an error shows."""


def install_file(plan: RestorePlan, venv: NewVenv, run: RestoreRun) -> None:
    """Install the whole file into ``venv`` with its pip or with uv, as ``plan.installer`` says.

    Raises:
        OperationError: no pip fits the venv, or the installer failed (its
            last lines in the message).
    """
    from envsnap.lockfiles.requirements.write import pip_line, requirements_text  # noqa: PLC0415

    backend = program_backend(plan.installer)
    options = plan.options
    pip_path = pip_for_installer(
        plan, venv.python, venv.environment, run.cache, seeded=venv.seeded is not None
    )
    run.say("install", f"{len(plan.lock.packages)} packages with {backend.name}")
    with contextlib.ExitStack() as stack:
        requirements = plan.file
        # a file envsnap wrote is rendered from the Lock when it has VCS lines,
        # in the form old pips accept (requirements_text); others go as they are
        vcs = plan.lock.written_by_envsnap and any(
            p.origin.kind == "vcs" for p in plan.lock.packages
        )
        if not plan.lock.pip_reads_it or vcs:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="envsnap-")))
            requirements = scratch / "requirements.txt"
            lines = _absolute_options(plan.lock.index_options, plan.file.parent)
            checked = (pip_line(line, source=str(plan.file), installer=True) for line in lines)
            requirements.write_text(
                "".join(f"{line}\n" for line in checked)
                + requirements_text(plan.lock, installer=True),
                encoding="utf-8",
            )
        _run_installer(
            plan,
            backend,
            venv.python,
            requirements,
            what=str(plan.file),
            no_deps=plan.no_deps,
            require_hashes=plan.require_hashes,
            index_args=options.index_args,
            output=run.output,
            pip_path=pip_path,
        )


def _run_installer(
    plan: RestorePlan,
    backend: ProgramBackend,
    python: Path,
    requirements: Path,
    *,
    what: str,
    no_deps: bool,
    require_hashes: bool,
    index_args: Sequence[str],
    output: Callable[[str], None] | None,
    pip_path: Path | None,
) -> None:
    """Run pip or uv on ``requirements`` for the new venv, with the plan's trusted hosts.

    Raises:
        OperationError: the installer failed (its last lines, credentials removed).
    """
    from envsnap.install.external import install_command, run_logged  # noqa: PLC0415

    install = install_command(
        backend.name,
        venv_python=python,
        requirements=requirements,
        no_deps=no_deps,
        require_hashes=require_hashes,
        index_args=[*index_args, *backend.trust_args(plan.trusted_hosts)],
        verbose=output is not None,
        cwd=plan.file.parent,
        pip_path=pip_path,
    )
    code, tail = run_logged(install.argv, cwd=install.cwd, output=output, env=install.env)
    if code != 0:
        raise OperationError(
            _failed(f"{backend.name} could not install {what}", code, tail),
            hint=_install_hint(tail),
        )


def install_base_packages(plan: RestorePlan, venv: NewVenv, run: RestoreRun, lock: Lock) -> Lock:
    """Install the base packages the file's venv used (``--no-deps``); return the Lock to verify.

    They come from the index options the restore uses, without hashes (the
    file records versions only), through the new venv's pip (uv with
    ``--installer uv``).
    """
    from packaging.utils import canonicalize_name  # noqa: PLC0415
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    from envsnap.lock import LockedPackage  # noqa: PLC0415
    from envsnap.lockfiles.requirements.write import pip_line  # noqa: PLC0415

    backend = program_backend(plan.installer)
    run.say("install", f"{len(plan.base_installs)} base packages with {backend.name}")
    file_options = _absolute_options(plan.lock.index_options, plan.file.parent)
    pip_path = pip_for_installer(plan, venv.python, venv.environment, run.cache, seeded=True)
    with tempfile.TemporaryDirectory(prefix="envsnap-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        lines = (pip_line(p, source=str(plan.file), installer=True) for p in plan.base_installs)
        requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _run_installer(
            plan,
            backend,
            venv.python,
            requirements,
            what="the base packages",
            no_deps=True,
            require_hashes=False,
            index_args=[
                *(word for line in file_options for word in line.split(None, 1)),
                *plan.options.index_args,
            ],
            output=run.output,
            pip_path=pip_path,
        )
    added = []
    for pin in plan.base_installs:
        name, _, version = (part.strip() for part in pin.partition("=="))
        try:
            added.append(
                LockedPackage(
                    name=canonicalize_name(name), display_name=name, version=Version(version)
                )
            )
        except InvalidVersion:  # a hand-edited header: pip installed it as written
            continue
    known = {p.name for p in lock.packages}
    packages = [*lock.packages, *(p for p in added if p.name not in known)]
    return replace(lock, packages=tuple(sorted(packages, key=lambda p: p.name)))


def _absolute_options(options: Sequence[str], base: Path) -> list[str]:
    """Return index option lines with a relative ``--find-links DIR`` made absolute from ``base``.

    pip reads a relative path in a requirements file from that file's
    directory; a rendered copy lives elsewhere.
    """
    found = []
    for option in options:
        flag, _, value = option.partition(" ")
        if flag == "--find-links" and value and "://" not in value:
            local = Path(value).expanduser()
            if not local.is_absolute() and (base / local).exists():
                option = f"{flag} {(base / local).absolute()}"  # noqa: PLW2901
        found.append(option)
    return found


def _failed(what: str, code: int, tail: list[str]) -> str:
    """Return ``what (exit N):`` and the command's last lines, indented."""
    from envsnap._urls import redact_urls  # noqa: PLC0415

    lines = [redact_urls(line) for line in tail[-TAIL:]]
    return f"{what} (exit {code})" + "".join(f"\n  | {line}" for line in lines)


def _install_hint(tail: list[str]) -> str:
    text = "\n".join(tail)
    if "DO NOT MATCH THE HASHES" in text or "hash mismatch" in text.lower():
        return (
            "a downloaded file does not match the hash in the lock file: the file or "
            "the index changed; nothing was replaced"
        )
    return "nothing was replaced; rerun with -v to see the installer's full output"
