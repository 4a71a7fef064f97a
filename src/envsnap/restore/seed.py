"""pip in the new venv: its wheel installed first, its check, and pip for pip's own installs.

The venv is made without ensurepip; pip comes from its wheel
(:mod:`envsnap.install.pip_seed` chooses it for the venv's Python) and is
installed before the file's packages, so that the check that pip runs
(``python -m pip --version``, about a second of start-up) overlaps their
install. Its bytecode is kept in the cache (:mod:`envsnap.install.pip_bytecode`).
A file that pins pip gets its own pip from the backend instead.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.index.file_cache import cache_error
from envsnap.install.backend import program_backend

if TYPE_CHECKING:
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache
    from envsnap.restore.plan import RestorePlan

__all__ = ["SeededPip", "check_seeded_pip", "install_pip_wheel", "pip_for_installer", "seed_pip"]


@dataclass(frozen=True, slots=True)
class SeededPip:
    """pip's wheel, installed into the new venv before the file."""

    entry: Path
    """Its unpacked cache entry."""
    purelib: Path
    """The venv's ``purelib``."""
    tag: str | None
    """The venv's bytecode tag (``cpython-312``); ``None``: no bytecode kept."""
    bytecode: bool
    """Whether kept bytecode was linked in (:mod:`envsnap.install.pip_bytecode`)."""


def seed_pip(
    plan: RestorePlan, python: Path, environment: TargetEnvironment, cache: FileCache
) -> SeededPip | None:
    """Install pip's wheel into the new venv before the file, unless the file pins pip.

    Two pips in one venv would be two ``.dist-info`` directories, so a file
    that pins pip gets its own from the backend.

    Args:
        plan: the restore plan (``with_pip``, ``use_cache``, the Lock).
        python: the new venv's interpreter.
        environment: its probe.
        cache: the file cache of this restore.

    Returns:
        What was installed, or ``None`` (not wanted, or the file pins pip).

    Raises:
        OperationError: no pip wheel fits the venv's Python, or the cache or
            the venv cannot be written.
    """
    from envsnap.install.pip_bytecode import bytecode_tag, link_pip_bytecode  # noqa: PLC0415

    if not plan.options.with_pip or any(p.name == "pip" for p in plan.lock.packages):
        return None
    try:
        entry, purelib = install_pip_wheel(python, environment, cache)
        # a temporary cache keeps nothing
        tag = bytecode_tag(environment) if plan.options.use_cache else None
        linked = tag is not None and link_pip_bytecode(cache, entry, purelib, tag)
    except OSError as exc:
        raise cache_error(exc) from None
    return SeededPip(entry=entry, purelib=purelib, tag=tag, bytecode=linked)


def check_seeded_pip(python: Path, seeded: SeededPip, cache: FileCache) -> str:
    """Check that the seeded pip runs; keep the bytecode that its first run writes.

    Returns:
        pip's version.

    Raises:
        OperationError: pip does not start.
    """
    from envsnap.install.pip_bytecode import keep_pip_bytecode, link_pip_bytecode  # noqa: PLC0415
    from envsnap.install.pip_seed import check_pip  # noqa: PLC0415

    if seeded.tag is None or seeded.bytecode:
        return check_pip(python)
    with tempfile.TemporaryDirectory(prefix="envsnap-bytecode-") as written:
        version = check_pip(python, bytecode_dir=Path(written))
        keep_pip_bytecode(cache, seeded.entry, Path(written), seeded.tag)
        link_pip_bytecode(cache, seeded.entry, seeded.purelib, seeded.tag)
    return version


def install_pip_wheel(
    python: Path, environment: TargetEnvironment, cache: FileCache
) -> tuple[Path, Path]:
    """Install pip's wheel (:func:`envsnap.install.pip_seed.choose_pip_wheel`) into a venv.

    Returns:
        ``(pip's unpacked cache entry, the venv's purelib)``.

    Raises:
        OperationError: no pip wheel fits, or it cannot be installed.
    """
    from envsnap.install.builtin import venv_scheme  # noqa: PLC0415
    from envsnap.install.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415
    from envsnap.install.wheels import install_unpacked  # noqa: PLC0415

    job = pip_wheel_job(choose_pip_wheel(environment, cache), cache, environment.python_version)
    scheme = venv_scheme(python, environment)
    install_unpacked(job, scheme, interpreter=python)
    return job.unpacked, Path(scheme["purelib"])


def pip_for_installer(
    plan: RestorePlan,
    python: Path,
    environment: TargetEnvironment,
    cache: FileCache,
    *,
    seeded: bool,
) -> Path | None:
    """Prepare pip for a pip or uv install of the whole file (:mod:`envsnap.install.pip_seed`).

    That is the pip and uv backends, the base packages, and the direct
    backend handing a file whose closure is incomplete to pip's resolver.

    Returns:
        ``None`` once pip is in the new venv (``seeded``: it is already) or
        not needed; for a pip install ``--without-pip`` the unpacked pip
        wheel that runs from ``PYTHONPATH`` instead (the venv keeps no pip).

    Raises:
        OperationError: no pip wheel fits the venv's Python, or the cache or
            the venv cannot be written.
    """
    from envsnap.install.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415

    try:
        if plan.options.with_pip:
            if not seeded:
                install_pip_wheel(python, environment, cache)
            return None
        if not program_backend(plan.installer).runs_from_venv_pip:
            return None
        seed = choose_pip_wheel(environment, cache)
        return pip_wheel_job(seed, cache, environment.python_version).unpacked
    except OSError as exc:
        raise cache_error(exc) from None
