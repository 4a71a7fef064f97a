"""The seam between restore and the installers run as programs: pip and uv.

Restore asks a :class:`ProgramBackend` for what differs between them (how
each names a trusted plain-http host, whether it runs from the new venv's pip
or brings its own) instead of checking a backend's name. The built-in
backend (:mod:`envsnap.install.builtin`) installs wheels itself and hands
what it cannot install to pip through this seam. See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PIP", "PROGRAM_BACKENDS", "UV", "ProgramBackend", "program_backend"]


class ProgramBackend(Protocol):
    """An installer run as a program on a requirements file."""

    @property
    def name(self) -> Literal["pip", "uv"]:
        """The name ``install_command`` takes and messages show."""
        ...

    @property
    def runs_from_venv_pip(self) -> bool:
        """Whether it runs as the new venv's ``python -m pip``.

        A venv made ``--without-pip`` then needs pip put on its ``PYTHONPATH``.
        """
        ...

    def trust_args(self, hosts: Sequence[str]) -> list[str]:
        """Return the options that let it use plain http with ``hosts``."""
        ...


@dataclass(frozen=True, slots=True)
class _Program:
    name: Literal["pip", "uv"]
    runs_from_venv_pip: bool
    trust_option: str

    def trust_args(self, hosts: Sequence[str]) -> list[str]:
        return [word for host in hosts for word in (self.trust_option, host)]


PIP: ProgramBackend = _Program("pip", runs_from_venv_pip=True, trust_option="--trusted-host")
"""pip: the new venv's own (``python -m pip``); ``--trusted-host HOST``."""
UV: ProgramBackend = _Program("uv", runs_from_venv_pip=False, trust_option="--allow-insecure-host")
"""uv: its own executable (``uv pip install --python``); ``--allow-insecure-host HOST``."""

PROGRAM_BACKENDS: dict[str, ProgramBackend] = {"pip": PIP, "uv": UV}
"""The program backends by name."""


def program_backend(name: str) -> ProgramBackend:
    """Return the program backend that installs for backend ``name``.

    ``uv`` is uv; ``pip`` and the built-in ``direct`` backend (for what it
    hands to pip: sdists, VCS and directory requirements) are pip.
    """
    return PROGRAM_BACKENDS.get(name, PIP)
