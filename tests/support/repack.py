"""Wheels of the distributions installed in the running interpreter, for offline installs.

A test that lets another tool install envsnap (pre-commit runs ``pip install .``
in the hook's repository) needs envsnap's runtime dependencies and its build
backend as wheels, and must not reach the package index. The running
interpreter has them installed: :func:`repack` turns each installed
distribution back into a wheel from its ``RECORD`` (PEP 376/627):

- files under site-packages go to the wheel's root, as installed;
- files outside it (``../../../bin/uv``) go to ``NAME-VER.data/scripts/`` when
  they lie in the scripts directory, else ``NAME-VER.data/data/`` (the
  installation scheme's ``data`` key is the prefix);
- console and GUI scripts that an installer wrote from ``entry_points.txt`` are
  left out (the installer writes them again), and so are bytecode files and
  what the installer added (``INSTALLER``, ``REQUESTED``, ``direct_url.json``,
  the old ``RECORD``);
- the ``WHEEL`` file is kept, so the wheel's tags are the original ones;
- each file keeps its mode bits (an installer makes ``uv`` executable from them).

:func:`closure` finds the distributions a set of requirements needs in this
interpreter, markers evaluated here, extras followed.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["closure", "repack"]

_ADDED_BY_INSTALLERS = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"})


def closure(requirements: Iterable[str]) -> list[metadata.Distribution]:
    """Return the installed distributions that ``requirements`` need, dependencies included.

    Markers are evaluated for this interpreter (PEP 508), ``extra`` for each
    extra a requirement names.

    Raises:
        AssertionError: a needed distribution is not installed (add it to the test extra).
    """
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, str]] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        try:
            dist = found.get(name) or metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise AssertionError(f"{requirement.name} is not installed here") from None
        found[name] = dist
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for text in dist.requires or []:
                child = Requirement(text)
                if child.marker is None or child.marker.evaluate({"extra": extra}):
                    child.marker = None  # evaluated here, for this extra
                    todo.append(child)
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def repack(dist: metadata.Distribution, into: Path) -> Path:
    """Write ``dist`` as a wheel into the directory ``into`` and return the wheel's path."""
    files = dist.files or []
    [metadata_file] = [
        f for f in files if f.name == "METADATA" and f.parent.name.endswith(".dist-info")
    ]
    info = Path(os.path.normpath(dist.locate_file(metadata_file))).parent
    stem = info.name.removesuffix(".dist-info")
    site = info.parent
    scripts = Path(sysconfig.get_path("scripts"))
    generated = {
        ep.name for ep in dist.entry_points if ep.group in {"console_scripts", "gui_scripts"}
    }
    members: list[tuple[str, bytes, int]] = []
    for file in files:
        source = Path(os.path.normpath(site / file))
        if source.suffix == ".pyc" or not source.is_file():
            continue
        if source.parent == info and source.name in _ADDED_BY_INSTALLERS:
            continue
        if source.is_relative_to(site):
            arcname = source.relative_to(site).as_posix()
        elif source.parent == scripts:
            if source.name in generated:
                continue
            arcname = f"{stem}.data/scripts/{source.name}"
        else:
            arcname = f"{stem}.data/data/{source.relative_to(sys.prefix).as_posix()}"
        members.append((arcname, source.read_bytes(), source.stat().st_mode))
    wheel = into / f"{stem}-{_tag(info / 'WHEEL')}.whl"
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname, data, mode in members:
            member = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            member.external_attr = (mode & 0o777 | 0o100000) << 16  # a file; the x bits kept
            archive.writestr(member, data, zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            writer.writerow([arcname, f"sha256={digest.decode()}", len(data)])
        record = f"{stem}.dist-info/RECORD"
        writer.writerow([record, "", ""])
        archive.writestr(zipfile.ZipInfo(record, (2020, 1, 1, 0, 0, 0)), rows.getvalue())
    return wheel


def _tag(wheel_file: Path) -> str:
    """Return the compressed tag set of a ``WHEEL`` file (``py2.py3-none-any``)."""
    tags = [
        line.partition(":")[2].strip()
        for line in wheel_file.read_text(encoding="utf-8").splitlines()
        if line.startswith("Tag:")
    ]
    parts: list[list[str]] = [[], [], []]
    for tag in tags:
        for column, value in zip(parts, tag.split("-"), strict=True):
            if value not in column:
                column.append(value)
    return "-".join(".".join(column) for column in parts)
