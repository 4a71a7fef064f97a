"""Synthetic distributions for the benchmark: wheels with realistic metadata, and envs.

Distribution ``k`` (``synth-0000`` ...) depends only on distributions with a
smaller number, so the first ``N`` of them form a closed environment of ``N``
distributions; one set of wheels serves every size. Each wheel has 10-40
``Requires-Dist`` lines: version specifiers, markers that apply and markers
that do not (``sys_platform == "win32"``, old Pythons), extras (``test``,
``docs`` naming packages that are not installed; ``fast`` naming installed
ones, which later distributions ask for as ``synth-0007[fast]``), a
description body, a correct ``RECORD``, and 2-5 small module files.

Environments are plain ``python -m venv --without-pip`` venvs into which the
wheels are unpacked with the ``installer`` library (no pip subprocess per
package), in two processes for the big ones; the distributions nothing
depends on get a ``REQUESTED`` file, as pip writes for what the user named.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

GENERATOR_VERSION = "1"
"""Bump when the generated wheels change; cached wheels and envs are rebuilt."""

_NOT_HERE_MARKERS = (
    'sys_platform == "win32"',
    'python_version < "3.7"',
    'platform_python_implementation == "PyPy"',
    'os_name == "nt" and python_version >= "3.8"',
)
_HERE_MARKERS = (
    'python_version >= "3.8"',
    'os_name == "posix"',
    'implementation_name == "cpython" or platform_python_implementation == "PyPy"',
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthDist:
    """The plan of one synthetic distribution."""

    index: int
    requires: tuple[str, ...]
    """Requires-Dist lines."""
    installed_deps: frozenset[int]
    """Numbers of the installed distributions it depends on (any extra included)."""
    n_files: int

    @property
    def name(self) -> str:
        return f"synth-{self.index:04d}"

    @property
    def module(self) -> str:
        return f"synth_{self.index:04d}"

    @property
    def version(self) -> str:
        return f"1.{self.index % 10}.{self.index % 7}"

    @property
    def wheel_name(self) -> str:
        return f"{self.module}-{self.version}-py3-none-any.whl"


def _fast_deps(index: int) -> list[int]:
    """The installed distributions the ``fast`` extra of ``index`` needs."""
    rng = random.Random(index * 7919 + 1)
    return rng.sample(range(index), k=min(index, 2)) if index % 5 == 0 else []


def plan(index: int) -> SynthDist:
    """Return the (deterministic) plan of distribution ``index``."""
    rng = random.Random(index)
    lines: list[str] = []
    deps: set[int] = set()
    window = range(max(0, index - 300), index)
    for dep in rng.sample(window, k=min(len(window), rng.randint(0, 6))):
        deps.add(dep)
        name = f"synth-{dep:04d}"
        if dep % 5 == 0 and dep > 0:
            lines.append(f"{name}[fast]>=1.0")
            deps.update(_fast_deps(dep))
        elif dep % 3 == 0:
            lines.append(f"{name}>=1.0,<3 ; {rng.choice(_HERE_MARKERS)}")
        else:
            lines.append(f"{name}>=1.0,!=2.0.*")
    lines.extend(f"synth-{d:04d}>=1 ; extra == 'fast'" for d in _fast_deps(index))
    target = rng.randint(10, 40)
    extras = ("test", "docs")
    while len(lines) < target:
        roll = rng.random()
        other = f"external-{rng.randint(0, 999):03d}"
        if roll < 0.4:
            lines.append(f'{other}>=2.1 ; extra == "{rng.choice(extras)}"')
        elif roll < 0.8:
            lines.append(f"{other}~=1.4 ; {rng.choice(_NOT_HERE_MARKERS)}")
        else:
            lines.append(
                f'{other}[extra]>=0.5 ; extra == "{rng.choice(extras)}" and python_version >= "3.8"'
            )
    return SynthDist(
        index=index,
        requires=tuple(lines),
        installed_deps=frozenset(deps),
        n_files=2 + index % 4,
    )


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(dist: SynthDist, out_dir: Path) -> Path:
    """Write the wheel of ``dist`` into ``out_dir`` (a correct RECORD included)."""
    info = f"{dist.module}-{dist.version}.dist-info"
    metadata = [
        "Metadata-Version: 2.4",
        f"Name: {dist.name}",
        f"Version: {dist.version}",
        f"Summary: Synthetic distribution number {dist.index} for the envsnap benchmark",
        "Author-email: Bench <bench@example.invalid>",
        "License-Expression: MIT",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Operating System :: OS Independent",
        "Requires-Python: >=3.8",
        "Provides-Extra: test",
        "Provides-Extra: docs",
        "Provides-Extra: fast",
        *(f"Requires-Dist: {line}" for line in dist.requires),
        "Description-Content-Type: text/markdown",
        "",
        f"# {dist.name}\n",
        *(f"Line {i} of a description body that readers of headers skip." for i in range(60)),
        "",
    ]
    init = f'"""{dist.name}."""\n__version__ = "{dist.version}"\n'
    files: dict[str, bytes] = {f"{dist.module}/__init__.py": init.encode()}
    for i in range(1, dist.n_files):
        body = "".join(f"def f{j}(x):\n    return x * {j} + {i}\n\n" for j in range(10 + i * 7))
        files[f"{dist.module}/mod{i}.py"] = body.encode()
    files[f"{info}/METADATA"] = "\n".join(metadata).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: envsnap-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out = out_dir / dist.wheel_name
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    tmp.replace(out)
    return out


def ensure_wheels(wheel_dir: Path, count: int) -> list[Path]:
    """Build (or reuse) the wheels of distributions ``0 .. count-1``."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        dist = plan(index)
        path = wheel_dir / dist.wheel_name
        if not path.exists():
            build_wheel(dist, wheel_dir)
        paths.append(path)
    return paths


def _scheme(python: Path) -> dict[str, str]:
    code = (
        "import json, sysconfig; p = sysconfig.get_paths(); "
        "s = {k: p[k] for k in ('purelib', 'platlib', 'scripts', 'data')}; "
        "s['headers'] = p['include']; print(json.dumps(s))"
    )
    out = subprocess.run(
        [str(python), "-I", "-c", code], check=True, capture_output=True, text=True
    )
    scheme: dict[str, str] = json.loads(out.stdout)
    return scheme


def install_wheels(
    python: Path, wheels: list[Path], requested: set[str], *, installer_name: str = "pip"
) -> None:
    """Unpack ``wheels`` into the environment of ``python`` with the ``installer`` library."""
    from installer import install  # noqa: PLC0415
    from installer.destinations import SchemeDictionaryDestination  # noqa: PLC0415
    from installer.sources import WheelFile  # noqa: PLC0415

    destination = SchemeDictionaryDestination(
        _scheme(python), interpreter=str(python), script_kind="posix"
    )
    for wheel in wheels:
        extra = {"INSTALLER": f"{installer_name}\n".encode()}
        if wheel.name.split("-")[0] in requested:
            extra["REQUESTED"] = b""
        with WheelFile.open(wheel) as source:
            install(source, destination, extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltEnv:
    """A benchmark environment on disk."""

    label: str
    path: Path
    python: Path
    dists: int
    files: int
    has_pip: bool


def _count_files(site: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(site))


def venv_python(venv: Path) -> Path:
    """Return the interpreter of a venv directory."""
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def build_env(
    base_python: str, env_dir: Path, size: int, wheel_dir: Path, pip_wheel: Path | None
) -> BuiltEnv:
    """Build (or reuse) the venv with distributions ``0 .. size-1`` (and pip, if given)."""
    label = f"synth-{size}"
    stamp = env_dir / ".bench-env.json"
    want = {
        "generator": GENERATOR_VERSION,
        "size": size,
        "pip": pip_wheel.name if pip_wheel else None,
    }
    if stamp.exists():
        try:
            have = json.loads(stamp.read_text())
        except ValueError:
            have = {}
        if {k: have.get(k) for k in want} == want:
            return BuiltEnv(
                label=label,
                path=env_dir,
                python=venv_python(env_dir),
                dists=size + (1 if pip_wheel else 0),
                files=int(have["files"]),
                has_pip=pip_wheel is not None,
            )
    if env_dir.exists():
        shutil.rmtree(env_dir)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = venv_python(env_dir)
    wheels = ensure_wheels(wheel_dir, size)
    depended: set[int] = set()
    for index in range(size):
        depended |= plan(index).installed_deps
    requested = {plan(i).module for i in range(size) if i not in depended}
    chunks = [wheels[i::2] for i in range(2)] if size >= 200 else [wheels]
    if len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            for future in [pool.submit(install_wheels, python, c, requested) for c in chunks]:
                future.result()
    else:
        install_wheels(python, wheels, requested)
    if pip_wheel is not None:
        install_wheels(python, [pip_wheel], {"pip"})
    site = Path(_scheme(python)["purelib"])
    files = _count_files(site)
    stamp.write_text(json.dumps({**want, "files": files}))
    return BuiltEnv(
        label=label,
        path=env_dir,
        python=python,
        dists=size + (1 if pip_wheel else 0),
        files=files,
        has_pip=pip_wheel is not None,
    )
