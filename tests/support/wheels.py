"""Build small, valid wheels and sdists for tests, with ``zipfile``/``tarfile`` only.

``build_wheel`` writes a wheel as the binary distribution format spec (PEP 427,
PEP 491) asks: ``<dist>-<version>.dist-info/`` with ``METADATA`` (core metadata
2.1: ``Name``, ``Version``, ``Requires-Python``, ``Provides-Extra``,
``Requires-Dist`` with ``extra == "x"`` markers), ``WHEEL`` and ``RECORD``
(``sha256=`` urlsafe base64 without padding, and sizes), plus an importable
module ``<name_underscored>/__init__.py`` holding ``__version__``. Archives are
deterministic (fixed timestamps, sorted entries): the same arguments give the
same bytes, so the same sha256.

``build_sdist`` writes a ``.tar.gz`` sdist (``PKG-INFO`` + ``pyproject.toml``)
whose build backend is *in the tree* (``backend-path = ["."]``, ``requires =
[]``), so pip can build and install it with build isolation and no index at
all. The same backend answers ``build_editable`` (PEP 660, a ``.pth`` file), so
``write_project`` makes a source directory that ``pip install -e DIR`` installs
offline.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import tarfile
import textwrap
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "build_sdist",
    "build_wheel",
    "dist_name",
    "file_sha256",
    "metadata_text",
    "write_project",
]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_TAR_MTIME = 315532800  # 1980-01-01, like the zip timestamps


def dist_name(name: str) -> str:
    """Return the escaped distribution name used in file names (``Foo.Bar-x`` -> ``foo_bar_x``).

    Follows the binary distribution format spec: PEP 503 normalization with
    ``_`` in place of ``-``.
    """
    return re.sub(r"[-_.]+", "_", name).lower()


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file (as an index's ``#sha256=`` fragment carries it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _requires_dist(
    requires: Sequence[str], extras: Mapping[str, Sequence[str]] | None
) -> list[str]:
    lines = list(requires)
    for extra, reqs in (extras or {}).items():
        for req in reqs:
            spec, sep, marker = req.partition(";")
            if sep:
                lines.append(f'{spec.strip()}; ({marker.strip()}) and extra == "{extra}"')
            else:
                lines.append(f'{spec.strip()}; extra == "{extra}"')
    return lines


def metadata_text(
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    extras: Mapping[str, Sequence[str]] | None = None,
    requires_python: str | None = None,
    metadata_version: str = "2.1",
) -> str:
    """Return core metadata (``METADATA`` / ``PKG-INFO``) text for a distribution.

    Args:
        name: the project name as it should be displayed.
        version: its version string.
        requires: ``Requires-Dist`` lines (PEP 508, markers allowed).
        extras: extra name -> its requirements; each becomes ``Provides-Extra``
            and ``Requires-Dist: req; extra == "name"``.
        requires_python: a ``Requires-Python`` specifier, if any.
        metadata_version: the ``Metadata-Version`` field.

    Returns:
        RFC 822 style text ending with a newline.
    """
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines.append(f"Summary: {name}, a test package built by envsnap's tests")
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in (extras or {})]
    lines += [f"Requires-Dist: {req}" for req in _requires_dist(requires, extras)]
    return "\n".join(lines) + "\n"


def _write_zip(path: Path, members: Sequence[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname, data in members:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def _wheel_members(
    name: str,
    version: str,
    *,
    metadata: str,
    files: Mapping[str, str],
    tag: str,
) -> list[tuple[str, bytes]]:
    """Return the (arcname, bytes) members of a wheel, RECORD last."""
    info_dir = f"{dist_name(name)}-{version}.dist-info"
    wheel = f"Wheel-Version: 1.0\nGenerator: envsnap-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    members = [(path, text.encode("utf-8")) for path, text in sorted(files.items())]
    members += [
        (f"{info_dir}/METADATA", metadata.encode("utf-8")),
        (f"{info_dir}/WHEEL", wheel.encode("utf-8")),
    ]
    record_lines = [f"{path},{_record_hash(data)},{len(data)}" for path, data in members]
    record_lines.append(f"{info_dir}/RECORD,,")
    members.append((f"{info_dir}/RECORD", ("\n".join(record_lines) + "\n").encode("utf-8")))
    return members


def _default_files(name: str, version: str) -> dict[str, str]:
    module = dist_name(name)
    return {f"{module}/__init__.py": f'"""{name} (test package)."""\n\n__version__ = "{version}"\n'}


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    extras: Mapping[str, Sequence[str]] | None = None,
    files: Mapping[str, str] | None = None,
    requires_python: str | None = None,
    tag: str = "py3-none-any",
) -> Path:
    """Write a valid pure-Python wheel into ``dest`` and return its path.

    Args:
        dest: directory to write into (created if missing).
        name: project name as displayed (``Mixed.Case`` is kept in METADATA;
            the file name uses the escaped, lower-case form).
        version: version string.
        requires: ``Requires-Dist`` entries (PEP 508).
        extras: extra -> requirements, written with ``extra == "..."`` markers.
        files: archive path -> text; default is one module
            ``<name_underscored>/__init__.py`` with ``__version__``.
        requires_python: ``Requires-Python`` specifier.
        tag: the compatibility tag triple of the file name and ``WHEEL``.

    Returns:
        The wheel's path, ``dest / "<dist>-<version>-<tag>.whl"``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    metadata = metadata_text(
        name, version, requires=requires, extras=extras, requires_python=requires_python
    )
    members = _wheel_members(
        name,
        version,
        metadata=metadata,
        files=_default_files(name, version) if files is None else files,
        tag=tag,
    )
    path = dest / f"{dist_name(name)}-{version}-{tag}.whl"
    _write_zip(path, members)
    return path


_BACKEND = '''\
"""A PEP 517/660 build backend for envsnap's test projects (stdlib only)."""

import base64
import gzip
import hashlib
import os
import zipfile

NAME = {name!r}
VERSION = {version!r}
METADATA = {metadata!r}
HERE = os.path.dirname(os.path.abspath(__file__))
DIST = NAME.replace("-", "_").replace(".", "_").lower()
INFO = DIST + "-" + VERSION + ".dist-info"


def _hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _wheel(directory, members):
    members = list(members) + [
        (INFO + "/METADATA", METADATA.encode("utf-8")),
        (INFO + "/WHEEL", b"Wheel-Version: 1.0\\nGenerator: envsnap-tests\\n"
         b"Root-Is-Purelib: true\\nTag: py3-none-any\\n"),
    ]
    record = [p + "," + _hash(d) + "," + str(len(d)) for p, d in members] + [INFO + "/RECORD,,"]
    members.append((INFO + "/RECORD", ("\\n".join(record) + "\\n").encode("utf-8")))
    filename = DIST + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for arcname, data in members:
            archive.writestr(zipfile.ZipInfo(arcname, (1980, 1, 1, 0, 0, 0)), data)
    return filename


def _sources():
    root = os.path.join(HERE, DIST)
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            full = os.path.join(folder, name)
            arcname = os.path.relpath(full, HERE).replace(os.sep, "/")
            with open(full, "rb") as handle:
                yield arcname, handle.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, _sources())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, [("_" + DIST + "_editable.pth", (HERE + "\\n").encode())])
'''


def _project_files(
    name: str, version: str, *, metadata: str, files: Mapping[str, str] | None
) -> dict[str, str]:
    pyproject = textwrap.dedent(
        """\
        [build-system]
        requires = []
        build-backend = "envsnap_test_backend"
        backend-path = ["."]
        """
    )
    sources = _default_files(name, version) if files is None else dict(files)
    return {
        "pyproject.toml": pyproject,
        "envsnap_test_backend.py": _BACKEND.format(name=name, version=version, metadata=metadata),
        **sources,
    }


def write_project(
    root: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    extras: Mapping[str, Sequence[str]] | None = None,
    files: Mapping[str, str] | None = None,
    requires_python: str | None = None,
) -> Path:
    """Write a source tree that pip builds offline, editable (PEP 660) or not.

    The tree holds ``pyproject.toml`` naming an in-tree backend
    (``envsnap_test_backend.py``, stdlib only, ``requires = []``) and the
    package sources. ``pip install -e ROOT`` installs a ``.pth`` file pointing
    at ``ROOT``; pip records ``direct_url.json`` with ``dir_info.editable``.

    Args:
        root: the project directory (created).
        name, version, requires, extras, requires_python: as for :func:`build_wheel`.
        files: source files relative to ``root`` (default: the one module);
            the backend packs ``<name_underscored>/`` only.

    Returns:
        ``root``.
    """
    metadata = metadata_text(
        name, version, requires=requires, extras=extras, requires_python=requires_python
    )
    for rel, text in _project_files(name, version, metadata=metadata, files=files).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def build_sdist(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    extras: Mapping[str, Sequence[str]] | None = None,
    files: Mapping[str, str] | None = None,
    requires_python: str | None = None,
) -> Path:
    """Write an sdist (``<dist>-<version>.tar.gz``, PEP 625) that pip builds offline.

    The archive holds ``<dist>-<version>/PKG-INFO`` (core metadata 2.1) and the
    same tree as :func:`write_project` (in-tree, stdlib-only backend), so
    ``pip install --no-index`` builds it with build isolation and no index.

    Returns:
        The path of the ``.tar.gz``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    metadata = metadata_text(
        name, version, requires=requires, extras=extras, requires_python=requires_python
    )
    base = f"{dist_name(name)}-{version}"
    members = {
        "PKG-INFO": metadata,
        **_project_files(name, version, metadata=metadata, files=files),
    }
    path = dest / f"{base}.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for rel, text in sorted(members.items()):
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size = len(data)
            info.mtime = _TAR_MTIME
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return path


def seed_wheels(dest: Path) -> list[Path]:
    """Put the wheels ``uv venv --seed`` asks the index for into ``dest``; return them.

    pip and setuptools come from the ``ensurepip`` bundles of this Python and
    of its sibling installs (pyenv keeps them side by side), so each Python
    finds a pip it supports, offline. ``wheel`` (seeded before Python 3.12) is
    a small stand-in built here, as the index has it: 0.48 for 3.9+ depends on
    packaging (as wheel does since 0.46; a stand-in of packaging is here too),
    0.45.1 for 3.8, 0.37.1 for 3.6 and 3.7. Nothing runs them.
    """
    import shutil  # noqa: PLC0415
    import sys  # noqa: PLC0415

    dest.mkdir(parents=True, exist_ok=True)
    found: list[Path] = []
    installs = {Path(sys.base_prefix), *Path(sys.base_prefix).parent.iterdir()}
    for install in sorted(installs):
        for wheel in sorted(install.glob("lib/python3*/ensurepip/_bundled/*.whl")):
            if not (dest / wheel.name).exists():
                shutil.copyfile(wheel, dest / wheel.name)
                found.append(dest / wheel.name)
    found.append(
        build_wheel(dest, "wheel", "0.48.0", requires=["packaging>=24.0"], requires_python=">=3.9")
    )
    found.append(build_wheel(dest, "packaging", "26.4", requires_python=">=3.8"))
    found.append(build_wheel(dest, "wheel", "0.45.1", requires_python=">=3.8"))
    found.append(build_wheel(dest, "wheel", "0.37.1", requires_python=">=3.6"))
    return found
