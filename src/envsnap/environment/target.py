"""Probe an interpreter: its prefixes, site-packages and PEP 508 markers, in one call.

The call is isolated (``-I -S``): no ``PYTHONPATH``, user site, ``.pth`` file or
``sitecustomize`` runs, and no code of the target environment is imported.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap._io import SMALL_FILE_LIMIT, read_limited
from envsnap.environment.process import BoundedProcess, OutputTooLargeError, ProcessTimeoutError
from envsnap.errors import TargetError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import packaging.tags

__all__ = [
    "PROBE_OUTPUT_LIMIT",
    "PROBE_TIMEOUT",
    "PendingProbe",
    "TargetEnvironment",
    "environment_tags",
    "probe",
    "start_probe",
]

PROBE_TIMEOUT = 20.0
"""Seconds the probe may take before the target counts as hung (env: ENVSNAP_PROBE_TIMEOUT)."""
PROBE_OUTPUT_LIMIT = 16 << 20
"""Bytes the probe may print on stdout (and on stderr); its answer is about 2 KB."""

# Runs in the target: stdlib only, on any Python 3 (Python 2 fails on the f-string).
# No json (it would double the 15 ms): ascii() of the answer, read with ast.literal_eval.
# Markers as packaging's default_environment(); from sys and os.uname() where that is
# what the platform module does (CPython, PyPy on Linux, macOS).
_PROBE = r"""
import os, site, sys, sysconfig
f"{sys.version_info}"
def full(info):
    v = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
impl = sys.implementation.name
if impl in ("cpython", "pypy") and sys.platform in ("linux", "darwin"):
    implementation = "CPython" if impl == "cpython" else "PyPy"
    py_version = sys.version.split()[0]
    if py_version.count(".") == 1:
        py_version += ".0"
    system, _, release, version, machine = os.uname()
else:
    import platform
    implementation = platform.python_implementation()
    py_version = platform.python_version()
    system, release, version = platform.system(), platform.release(), platform.version()
    machine = platform.machine()
markers = {
    "implementation_name": impl,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": machine,
    "platform_release": release,
    "platform_system": system,
    "platform_version": version,
    "python_full_version": py_version,
    "platform_python_implementation": implementation,
    "python_version": "%d.%d" % sys.version_info[:2],
    "sys_platform": sys.platform,
}
def unique(paths):
    out = []
    for p in paths:
        if p not in out:
            out.append(p)
    return out
# Under -S, site.venv() has not run: find pyvenv.cfg (PEP 405) ourselves.
prefix = sys.prefix
if prefix == sys.base_prefix:
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    for cand in (exe_dir, os.path.dirname(exe_dir)):
        if os.path.isfile(os.path.join(cand, "pyvenv.cfg")):
            prefix = cand
            break
# A venv's own scheme: a distribution's default one (Debian's posix_local) may
# point elsewhere, as site.venv() would have corrected under a normal start.
name = None
if prefix != sys.base_prefix or os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
    names = sysconfig.get_scheme_names()
    name = "venv" if "venv" in names else ("posix_prefix" if os.name == "posix" else None)
if name:
    scheme = sysconfig.get_paths(name, vars={"base": prefix, "platbase": prefix})
else:
    scheme = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})
own = unique([scheme["purelib"], scheme["platlib"]] + site.getsitepackages([prefix]))
base = unique(site.getsitepackages([sys.base_prefix])) if sys.base_prefix != prefix else []
answer = {
    "executable": sys.executable,
    "prefix": prefix,
    "base_prefix": sys.base_prefix,
    "version": list(sys.version_info[:3]),
    "implementation": implementation,
    "platform": sysconfig.get_platform(),
    "site_packages": own,
    "base_site_packages": base,
    "markers": markers,
}
"""
_PRINT = "\nsys.stdout.write(ascii(answer))\n"
"""Appended to :data:`_PROBE` when it runs in a subprocess: the answer goes to stdout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetEnvironment:
    """What the probe found out about a target environment (absolute paths)."""

    interpreter: Path
    """The interpreter that was probed (as given, not resolved)."""
    prefix: Path
    """``sys.prefix``: the venv directory for a venv."""
    base_prefix: Path
    """``sys.base_prefix``: the installation the venv was made from."""
    python_version: tuple[int, int, int]
    """``sys.version_info[:3]``."""
    implementation: str
    """``platform.python_implementation()``, e.g. ``CPython``."""
    platform: str
    """``sysconfig.get_platform()``, e.g. ``linux-x86_64``."""
    site_packages: tuple[Path, ...]
    """The environment's own site-packages directories (purelib, platlib), in search order."""
    base_site_packages: tuple[Path, ...] = ()
    """The base installation's site-packages (empty outside a venv; seen only if included)."""
    include_system_site_packages: bool = False
    """``include-system-site-packages`` of ``pyvenv.cfg``."""
    markers: Mapping[str, str] = field(default_factory=dict)
    """The PEP 508 marker environment of the target interpreter."""

    @property
    def is_venv(self) -> bool:
        """Whether the target is a virtual environment (PEP 405)."""
        return self.prefix != self.base_prefix

    @property
    def python_version_text(self) -> str:
        """The version as ``3.11.7``."""
        return ".".join(str(part) for part in self.python_version)

    def describe(self) -> str:
        """Return ``CPython 3.11.7, linux x86_64`` for headers and messages."""
        system = self.markers.get("platform_system", "").lower() or sys.platform
        machine = self.markers.get("platform_machine", "")
        where = f"{system} {machine}".strip()
        return f"{self.implementation} {self.python_version_text}, {where}"


def probe(
    interpreter: Path, *, timeout: float | None = None, started: PendingProbe | None = None
) -> TargetEnvironment:
    """Probe a target interpreter in one isolated subprocess.

    Args:
        interpreter: the interpreter to run, as found (not resolved).
        timeout: seconds (default: ``$ENVSNAP_PROBE_TIMEOUT``, else :data:`PROBE_TIMEOUT`).
        started: a probe already running (:func:`start_probe`), used if it probes ``interpreter``.

    Raises:
        TargetError: not a runnable Python 3; it hangs past ``timeout``, prints more than
            :data:`PROBE_OUTPUT_LIMIT`, or prints something other than the probe's answer.
    """
    if started is not None and started.interpreter == interpreter:
        return started.result()
    with start_probe(interpreter, timeout=timeout) as pending:
        return pending.result()


def start_probe(interpreter: Path, *, timeout: float | None = None) -> PendingProbe:
    """Start probing a target interpreter and return at once (the caller goes on importing).

    Nothing is raised here: :meth:`PendingProbe.result` raises what :func:`probe` would.
    Use the handle as a context manager, so that a probe never asked is stopped. The
    process is a :class:`~envsnap.environment.process.BoundedProcess`.

    Args:
        interpreter: the interpreter to run, as found (not resolved).
        timeout: seconds from now (default: ``$ENVSNAP_PROBE_TIMEOUT``, else :data:`PROBE_TIMEOUT`).
    """
    if timeout is None:
        try:
            timeout = float(os.environ.get("ENVSNAP_PROBE_TIMEOUT") or PROBE_TIMEOUT)
        except ValueError:
            timeout = PROBE_TIMEOUT
    return PendingProbe(interpreter, timeout)


class PendingProbe:
    """A probe of a target interpreter running in the background (:func:`start_probe`)."""

    __slots__ = ("_error", "_process", "_result", "_timeout", "interpreter")

    def __init__(self, interpreter: Path, timeout: float) -> None:
        self.interpreter = interpreter
        """The interpreter being probed (as given)."""
        self._timeout = timeout
        self._result: TargetEnvironment | None = None
        self._error: TargetError | None = None
        self._process: BoundedProcess | None = None
        try:
            # absolute: a bare relative name ("python2") must not be looked up on PATH
            self._process = BoundedProcess(
                [os.fspath(interpreter.absolute()), "-I", "-S", "-c", _PROBE + _PRINT],
                timeout=timeout,
                max_output=PROBE_OUTPUT_LIMIT,
                env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
            )
        except OSError as exc:
            self._error = TargetError(
                f"{interpreter}: cannot run it: {exc.strerror or exc}",
                hint="python= takes a venv directory or a Python 3 interpreter",
            )

    def result(self) -> TargetEnvironment:
        """Wait for the probe's answer (once; later calls return the same).

        Raises:
            TargetError: as :func:`probe` does.
        """
        if self._error is not None:
            raise self._error
        if self._result is None:
            try:
                self._result = self._collect()
            except TargetError as exc:
                self._error = exc
                raise
        return self._result

    def cancel(self) -> None:
        """Stop the probe if it still runs (its answer is no longer wanted)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()

    def __enter__(self) -> PendingProbe:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def _collect(self) -> TargetEnvironment:
        """Wait for the process and turn its output into a :class:`TargetEnvironment`."""
        process, self._process = self._process, None
        if process is None:
            raise TargetError(f"{self.interpreter}: the probe was cancelled")
        try:
            done = process.wait()
        except ProcessTimeoutError:
            raise TargetError(
                f"{self.interpreter}: the interpreter did not answer within {self._timeout:g} s",
                hint="check that it starts (run it with -c pass), or name another with python=",
            ) from None
        except OutputTooLargeError as exc:
            raise TargetError(
                f"{self.interpreter}: the interpreter's answer is too large "
                f"({exc.stream} over {exc.limit // (1 << 20)} MiB)",
                hint="is it a Python interpreter? name another with python=",
            ) from None
        if done.returncode != 0:
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = last[-1] if last else f"exit code {done.returncode}"
            if last and last[0].startswith("Unknown option: -"):
                detail = f"{last[0]}: Python 2 or older"  # Python 2 has no -I
            raise TargetError(
                f"{self.interpreter}: not a usable Python 3 interpreter ({detail})",
                hint="envsnap reads Python 3 environments; name another with python=",
            )
        import ast  # noqa: PLC0415 - only here; the CLI has it loaded already (click)

        try:
            raw = ast.literal_eval(done.stdout.decode("utf-8", "replace"))
            if not isinstance(raw, dict):
                raise TypeError("malformed probe answer")
            return _environment_from(self.interpreter, raw)
        except (ValueError, KeyError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
            raise TargetError(
                f"{self.interpreter}: unexpected answer from the interpreter probe "
                f"({type(exc).__name__ if isinstance(exc, MemoryError) else exc})",
                hint="is it a Python interpreter? name another with python=",
            ) from None


def _environment_from(interpreter: Path, raw: dict[str, object]) -> TargetEnvironment:
    prefix = Path(str(raw["prefix"]))
    base_prefix = Path(str(raw["base_prefix"]))
    own = _unique_dirs(raw["site_packages"])
    base = [d for d in _unique_dirs(raw["base_site_packages"]) if d not in own]
    version = raw["version"]
    markers = raw["markers"]
    if not isinstance(version, list) or not isinstance(markers, dict):
        raise TypeError("malformed probe answer")
    return TargetEnvironment(
        interpreter=interpreter,
        prefix=prefix,
        base_prefix=base_prefix,
        python_version=(int(version[0]), int(version[1]), int(version[2])),
        implementation=str(raw["implementation"]),
        platform=str(raw["platform"]),
        site_packages=tuple(own),
        base_site_packages=tuple(base),
        include_system_site_packages=_include_system(prefix) if prefix != base_prefix else False,
        markers={str(k): str(v) for k, v in markers.items()},
    )


def _unique_dirs(value: object) -> list[Path]:
    """Keep existing directories once each, by real path, in order."""
    if not isinstance(value, list):
        raise TypeError("malformed probe answer")
    by_real: dict[str, Path] = {}
    for item in value:
        if (path := Path(str(item))).is_dir():
            by_real.setdefault(os.path.realpath(path), path)
    return list(by_real.values())


def _include_system(prefix: Path) -> bool:
    """Read ``include-system-site-packages`` from ``pyvenv.cfg`` (PEP 405)."""
    try:
        text = read_limited(prefix / "pyvenv.cfg", SMALL_FILE_LIMIT).decode("utf-8", "replace")
    except OSError:
        return False
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "include-system-site-packages":
            return value.strip().lower() == "true"
    return False


def environment_tags(env: TargetEnvironment) -> list[packaging.tags.Tag]:
    """Return the wheel tags a target supports, in :func:`packaging.tags.sys_tags` order.

    On the host's platform, the host's platform tags (manylinux/musllinux, macOS
    versions); else only the target's own platform tag.
    """
    import re  # noqa: PLC0415
    import sysconfig  # noqa: PLC0415

    from packaging import tags  # noqa: PLC0415

    version = env.python_version[:2]
    if env.platform == sysconfig.get_platform():
        platforms = list(tags.platform_tags())
    else:
        platforms = [re.sub(r"[-.]", "_", env.platform)]
    name = env.markers.get("implementation_name", "cpython")
    interpreter = f"{tags.INTERPRETER_SHORT_NAMES.get(name, name)}{version[0]}{version[1]}"
    if name == "cpython":
        found = list(tags.cpython_tags(version, platforms=platforms))
    else:
        found = list(tags.generic_tags(interpreter=interpreter, platforms=platforms))
    return found + list(tags.compatible_tags(version, interpreter, platforms))
