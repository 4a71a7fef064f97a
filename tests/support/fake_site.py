"""Fixtures that write fake ``*.dist-info`` trees (no venv needed).

``site`` is a :class:`FakeSite` rooted at ``tmp_path / "site-packages"``::

    def test_x(site):
        site("requests", "2.32.3", "urllib3>=2", requested=True)
        site("urllib3", "2.2.3")
        env = site.environment()                 # a TargetEnvironment over site.root
        snap = build_snapshot(env, *read_distributions([site.root]))

Calling it writes a ``*.dist-info`` (METADATA, RECORD, INSTALLER, optional
REQUESTED and direct_url.json) and returns that directory. Other methods write
egg-info dirs/files, ``.egg-link`` develop installs, setuptools'
``__editable__`` files and deliberately broken metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from envsnap.environment.target import TargetEnvironment

__all__ = ["LINUX_311", "FakeSite", "make_environment", "site"]

LINUX_311: dict[str, str] = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP",
    "python_full_version": "3.11.7",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "sys_platform": "linux",
}
"""A fixed PEP 508 marker environment, independent of the host running the tests."""


def make_environment(
    *site_dirs: Path,
    prefix: Path | None = None,
    markers: dict[str, str] | None = None,
    base_site_packages: tuple[Path, ...] = (),
    include_system_site_packages: bool = False,
    python_version: tuple[int, int, int] = (3, 11, 7),
) -> TargetEnvironment:
    """Build a TargetEnvironment over fake site dirs (no probe)."""
    root = prefix or site_dirs[0].parent
    return TargetEnvironment(
        interpreter=root / "bin" / "python",
        prefix=root,
        base_prefix=Path("/opt/python"),
        python_version=python_version,
        implementation="CPython",
        platform="linux-x86_64",
        site_packages=site_dirs,
        base_site_packages=base_site_packages,
        include_system_site_packages=include_system_site_packages,
        markers=dict(LINUX_311 if markers is None else markers),
    )


def _dir_name(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


@dataclass
class FakeSite:
    """A fake site-packages directory that tests fill with distributions."""

    root: Path

    def __call__(
        self,
        name: str,
        version: str,
        *requires: str,
        extras: tuple[str, ...] | list[str] = (),
        requires_python: str | None = None,
        requested: bool = False,
        installer: str | None = "pip",
        direct_url: dict[str, Any] | None = None,
        dir_name: str | None = None,
        headers: tuple[str, ...] = (),
    ) -> Path:
        """Write ``<name>-<version>.dist-info`` and return its path.

        Args:
            name, version: ``Name:`` and ``Version:``.
            *requires: ``Requires-Dist:`` lines, written as given.
            extras: ``Provides-Extra:`` values.
            requires_python: ``Requires-Python:``.
            requested: write a ``REQUESTED`` file.
            installer: first line of ``INSTALLER`` (``None``: no file).
            direct_url: written as ``direct_url.json`` (PEP 610).
            dir_name: the directory name, instead of ``<name>-<version>.dist-info``.
            headers: extra raw header lines.
        """
        info = self.root / (dir_name or f"{_dir_name(name)}-{version}.dist-info")
        info.mkdir(parents=True)
        lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}"]
        if requires_python is not None:
            lines.append(f"Requires-Python: {requires_python}")
        lines += [f"Provides-Extra: {e}" for e in extras]
        lines += [f"Requires-Dist: {r}" for r in requires]
        lines += list(headers)
        body = "\n".join(lines) + "\n\nThe description: Name: not-a-header\n"
        (info / "METADATA").write_text(body, encoding="utf-8")
        records = ["METADATA", "RECORD"]
        if installer is not None:
            (info / "INSTALLER").write_text(installer + "\n", encoding="utf-8")
            records.append("INSTALLER")
        if requested:
            (info / "REQUESTED").touch()
            records.append("REQUESTED")
        if direct_url is not None:
            (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
            records.append("direct_url.json")
        (info / "RECORD").write_text(
            "".join(f"{info.name}/{r},,\n" for r in sorted(records)), encoding="utf-8"
        )
        return info

    def raw(self, dir_name: str, files: dict[str, str | bytes]) -> Path:
        """Write a metadata directory holding exactly ``files`` (for broken cases)."""
        info = self.root / dir_name
        info.mkdir(parents=True)
        for file, content in files.items():
            target = info / file
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return info

    def egg_info(
        self,
        name: str,
        version: str,
        requires_txt: str | None = None,
        *,
        as_file: bool = False,
        where: Path | None = None,
        requested: bool = False,
    ) -> Path:
        """Write a setuptools ``*.egg-info`` (a dir with PKG-INFO/requires.txt, or a file)."""
        base = where or self.root
        base.mkdir(parents=True, exist_ok=True)
        pkg_info = f"Metadata-Version: 1.2\nName: {name}\nVersion: {version}\n"
        path = base / f"{_dir_name(name)}-{version}-py3.11.egg-info"
        if as_file:
            path.write_text(pkg_info, encoding="utf-8")
            return path
        path.mkdir()
        (path / "PKG-INFO").write_text(pkg_info, encoding="utf-8")
        if requires_txt is not None:
            (path / "requires.txt").write_text(requires_txt, encoding="utf-8")
        if requested:
            (path / "REQUESTED").touch()
        return path

    def egg_link(
        self, name: str, version: str, project: Path, requires_txt: str | None = None
    ) -> Path:
        """Write a legacy develop install: ``<name>.egg-link`` -> project with an egg-info."""
        project.mkdir(parents=True, exist_ok=True)
        info = project / f"{_dir_name(name)}.egg-info"
        info.mkdir()
        (info / "PKG-INFO").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
        if requires_txt is not None:
            (info / "requires.txt").write_text(requires_txt, encoding="utf-8")
        self.root.mkdir(parents=True, exist_ok=True)
        link = self.root / f"{name}.egg-link"
        link.write_text(f"{project}\n.\n", encoding="utf-8")
        return link

    def editable_pth(
        self, name: str, version: str, project: Path, *, package: str | None = None
    ) -> Path:
        """Write setuptools' PEP 660 ``__editable__`` files for ``name`` (no direct_url.json).

        With ``package``: a finder module whose ``MAPPING`` maps it to
        ``project/package`` (setuptools' strict/finder mode); else a static
        ``.pth`` holding ``project``.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        stem = f"{_dir_name(name)}-{version}"
        pth = self.root / f"__editable__.{stem}.pth"
        if package is None:
            pth.write_text(f"{project}\n", encoding="utf-8")
            return pth
        finder = "__editable___" + stem.replace("-", "_").replace(".", "_") + "_finder"
        pth.write_text(f"import {finder}; {finder}.install()", encoding="utf-8")
        mapping = {package: str(project / package)}
        (self.root / f"{finder}.py").write_text(
            f"import sys\nMAPPING: dict[str, str] = {mapping!r}\nNAMESPACES = {{}}\n",
            encoding="utf-8",
        )
        return pth

    def environment(self, **kwargs: Any) -> TargetEnvironment:
        """Return a TargetEnvironment whose only site dir is :attr:`root`."""
        self.root.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("prefix", self.root.parents[2])
        return make_environment(self.root, **kwargs)


@pytest.fixture
def site(tmp_path: Path) -> FakeSite:
    """A fresh fake site-packages directory under ``tmp_path``."""
    root = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    root.mkdir(parents=True)
    return FakeSite(root)
