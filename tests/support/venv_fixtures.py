"""Fixtures for real venvs, locally built wheels and a loopback index.

``wheelhouse`` (session) is one flat directory of small wheels built by
:func:`support.wheels.build_wheel` (deterministic bytes, so stable sha256):

============================  ==============================================
file                          what it is for
============================  ==============================================
alpha 1.0                     chain head: requires ``beta>=1``
beta 1.0                      requires ``gamma``
gamma 1.0                     end of the chain
delta 2.0                     extra ``fast`` requires ``epsilon``
epsilon 1.0                   pulled in by ``delta[fast]``
cyca 1.0 / cycb 1.0           a cycle: each requires the other
eta 1.0                       requires ``zeta; sys_platform == "win32"`` (false here)
zeta 1.0                      present in the index, never installed by ``eta`` here
solo 1.0                      a lone package, no requirements
Mixed.Case_Name 0.5           display name differs from the normalized ``mixed-case-name``
omega 1.0 / omega 2.0         two versions of one lone package (upgrade/drift tests)
kappa 1.0 (sdist only)        ``kappa-1.0.tar.gz``, built offline by an in-tree backend
pip, setuptools, wheel        what ``uv venv --seed`` installs (``seed_wheels``)
============================  ==============================================

``WHEELHOUSE_PACKAGES`` holds the same facts as data. ``loopback_index``
(session) serves that directory with :func:`support.index.serve_index` and is
its ``/simple/`` URL. ``venv_factory`` (function) makes venvs under
``tmp_path``: ``venv_factory("name", with_pip=False,
system_site_packages=False) -> Path`` of the interpreter.

Don't add files to the session ``wheelhouse`` from a test: copy it (or build
into your own ``tmp_path``) instead, as other tests hash and list it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from support.index import serve_index
from support.venvs import make_venv
from support.wheels import build_sdist, build_wheel, seed_wheels

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

__all__ = [
    "WHEELHOUSE_PACKAGES",
    "build_wheelhouse",
    "loopback_index",
    "venv_factory",
    "wheelhouse",
]

WHEELHOUSE_PACKAGES: dict[tuple[str, str], dict[str, object]] = {
    ("alpha", "1.0"): {"requires": ["beta>=1"]},
    ("beta", "1.0"): {"requires": ["gamma"]},
    ("gamma", "1.0"): {},
    ("delta", "2.0"): {"extras": {"fast": ["epsilon"]}},
    ("epsilon", "1.0"): {},
    ("cyca", "1.0"): {"requires": ["cycb"]},
    ("cycb", "1.0"): {"requires": ["cyca"]},
    ("eta", "1.0"): {"requires": ['zeta; sys_platform == "win32"']},
    ("zeta", "1.0"): {},
    ("solo", "1.0"): {},
    ("Mixed.Case_Name", "0.5"): {},
    ("omega", "1.0"): {},
    ("omega", "2.0"): {},
}
"""(name, version) -> keyword arguments of :func:`build_wheel` for each wheel."""

SDIST_PACKAGES: dict[tuple[str, str], dict[str, object]] = {("kappa", "1.0"): {}}
"""(name, version) -> keyword arguments of :func:`build_sdist`; no wheel of these."""


def build_wheelhouse(dest: Path) -> Path:
    """Build every package of ``WHEELHOUSE_PACKAGES`` / ``SDIST_PACKAGES`` into ``dest``.

    The seed wheels ``uv venv --seed`` takes from the index (pip, setuptools,
    wheel: :func:`support.wheels.seed_wheels`) are there too.
    """
    for (name, version), kwargs in WHEELHOUSE_PACKAGES.items():
        build_wheel(dest, name, version, **kwargs)  # type: ignore[arg-type]
    for (name, version), kwargs in SDIST_PACKAGES.items():
        build_sdist(dest, name, version, **kwargs)  # type: ignore[arg-type]
    seed_wheels(dest)
    return dest


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flat directory of the test wheels (see the module docstring); do not modify it."""
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def loopback_index(wheelhouse: Path) -> Iterator[str]:
    """``http://127.0.0.1:PORT/simple/`` serving ``wheelhouse`` (HTML and PEP 691 JSON)."""
    with serve_index(wheelhouse) as url:
        yield url


@pytest.fixture
def venv_factory(tmp_path: Path) -> Callable[..., Path]:
    """Make venvs under ``tmp_path``; call as ``venv_factory(name="venv", **make_venv_kwargs)``.

    Returns the interpreter path (the venv dir is ``tmp_path / name``).
    """

    def make(
        name: str = "venv", *, with_pip: bool = False, system_site_packages: bool = False
    ) -> Path:
        return make_venv(
            tmp_path / name, with_pip=with_pip, system_site_packages=system_site_packages
        )

    return make
