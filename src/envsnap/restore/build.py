"""Build the venv a restore plan describes: create, install, mark, verify.

The venv is probed while the install runs; the caller (:mod:`envsnap.restore.swap`)
cleans up on failure.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap import _report
from envsnap._text import counted
from envsnap.errors import OperationError

if TYPE_CHECKING:
    from envsnap.compare.changes import Report
    from envsnap.install.backend import Command
    from envsnap.restore.plan import RestorePlan

__all__ = ["build_venv"]


def build_venv(plan: RestorePlan) -> tuple[Path, Report, tuple[str, ...]]:
    """Create, install, mark and verify the new venv at ``plan.target``.

    Each stage (``create``, ``install``, ``verify``; ``run`` with each
    command line when the reporter is verbose) goes to :mod:`envsnap._report`.

    Returns:
        ``(the venv's interpreter, the verification report, notes)``.

    Raises:
        OperationError: the venv cannot be made, the install failed, or the
            venv does not match the file after it; the caller cleans up.
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from envsnap.environment.target import probe  # noqa: PLC0415
    from envsnap.install import backend_for  # noqa: PLC0415
    from envsnap.install.venvs import check_created  # noqa: PLC0415
    from envsnap.restore.verify import verify  # noqa: PLC0415

    backend = backend_for(plan.installer)
    _report.stage(
        "create",
        f"{plan.target} with {backend.name} (Python {plan.interpreter.version}"
        + (", pip" if plan.venv.with_pip else "")
        + ")",
    )
    for command in backend.venv_commands(plan.venv):
        _run(command)
    python = check_created(plan.target, backend.name)
    with (
        ThreadPoolExecutor(max_workers=2) as pool,
        tempfile.TemporaryDirectory(prefix="envsnap-") as scratch,
    ):
        probing = pool.submit(probe, python)  # read-only, isolated: alongside the install
        pool.submit(_load, _VERIFY_MODULES)  # waiting on the installer leaves the GIL free
        for number, request in enumerate(plan.installs):
            requirements = None
            if request.requirements is not None:
                requirements = Path(scratch) / f"requirements-{number}.txt"
                requirements.write_text(request.requirements, encoding="utf-8")
            what = (
                counted(request.count, "package")
                if request.file is None
                else f"{counted(len(plan.lock.packages), 'package')} of {request.file.name}"
            )
            _report.stage("install", f"{what} with {backend.name}")
            for command in backend.install_commands(request, python, requirements):
                try:
                    _run(command)
                except OperationError as exc:
                    raise OperationError(exc.message, hint=_install_hint(plan, exc)) from None
        environment = probing.result()
    _report.stage("verify", f"{plan.target} against {plan.file}")
    report, notes = verify(plan, environment)
    return python, report, notes


_VERIFY_MODULES = (
    "envsnap.compare.drift",
    "envsnap.environment.snapshot",
    "envsnap.install.dist_info",
)
"""What verification imports (some 10 ms): loaded while the installer runs."""


def _load(modules: tuple[str, ...]) -> None:
    """Import ``modules``; a failure is left for the real import to raise."""
    import importlib  # noqa: PLC0415

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return


def _install_hint(plan: RestorePlan, error: OperationError) -> str | None:
    """Name ``-p X.Y`` when the file was made for another Python than the venv's."""
    from envsnap.restore.python import wheel_python  # noqa: PLC0415

    made = plan.lock.python_version or wheel_python(plan.lock)
    if made is None or made.split(".")[:2] == plan.interpreter.major_minor.split("."):
        return error.hint
    minor = ".".join(made.split(".")[:2])
    return (
        f"the file was made for Python {minor} and the venv is {plan.interpreter.version}: "
        f"restore with python={minor}; nothing was replaced"
    )


def _run(command: Command) -> None:
    """Run one installer command; with ``-v`` show it first (secrets masked)."""
    from envsnap.install.backend import run_command  # noqa: PLC0415

    if _report.verbose():
        _report.stage("run", command.shown())
    run_command(command)
