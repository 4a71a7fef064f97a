"""Where the documentation's examples run: scenarios, a loopback index, a shell like a user's.

A *scenario* is a directory the docs show commands run in (``/work/app``,
holding a ``.venv``, a ``pyproject.toml``, a ``requirements.txt``...). Each
is built once per session into a template (:class:`Workspace.template`),
from wheels this module builds with the names and versions the docs show,
served from a loopback index; each example then runs in its own copy
(:meth:`Workspace.instance`), so one example's ``pip install`` is not the
next one's environment. A venv copied this way still reads as itself: envsnap
finds its site-packages from ``pyvenv.cfg`` and the interpreter's symlink.

Commands run in ``bash`` with :func:`support.venvs.clean_env` (no ``PIP_*``
or ``UV_*`` of the caller; ``PIP_INDEX_URL`` and ``UV_DEFAULT_INDEX`` name the
loopback index: the index pip and uv would use) and a ``PATH`` where
``envsnap``, ``python`` and ``uv`` are the ones under test; ``pip`` installs
into the scenario's ``.venv`` (with the host pip), as in an activated venv.

What the docs show and what runs differ only where they must, and
:meth:`Instance.normalize` does all of it, on the real output:

- the example's directory (a temporary one) is shown as the scenario's
  ``shown`` path, its parent as that path's parent, the environment envsnap
  runs from as :data:`ENVSNAP_SHOWN` (a pipx install), and the scenario's
  other ``paths`` as they say (``VIRTUAL_ENV`` of a pre-commit hook...);
- the loopback index ``http://127.0.0.1:PORT`` is shown as
  ``https://my-index.example`` (the docs name no real index);
- the running Python's version is shown as :data:`PYTHON_SHOWN` when only
  the patch number differs;
- on both sides, timings (``[0.3s]``) and packaging's version
  (``packaging 26.4``) become placeholders.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from support.index import serve_index
from support.venvs import clean_env

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = [
    "ENVSNAP_SHOWN",
    "INDEX_SHOWN",
    "PYTHON_SHOWN",
    "Instance",
    "Scenario",
    "Workspace",
    "shown_text",
]

PYTHON_SHOWN = "3.11.7"
"""The Python version the docs show (``CPython 3.11.7``, ``Python 3.11.7``)."""
ENVSNAP_SHOWN = "/home/me/.local/pipx/venvs/envsnap"
"""How the docs show the environment envsnap runs from (``sys.prefix``: its Python, its uv)."""
INDEX_SHOWN = "https://my-index.example"
"""How the docs show the loopback index's ``http://127.0.0.1:PORT``."""
_SEPARATOR = "@@@ envsnap docs: next command @@@"
_TIMING = re.compile(r"\[\d+\.\d+s\]")
_PACKAGING = re.compile(r"packaging \d[\w.+-]*")


def shown_text(text: str) -> str:
    """Return text with what varies from run to run in placeholders (both sides get this)."""
    return _PACKAGING.sub("packaging VERSION", _TIMING.sub("[TIME]", text))


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A directory the docs run commands in, built once and copied for each example."""

    name: str
    build: Callable[[Workspace, Path, str], None]
    """Fills the scenario's directory (given, with the index URL; its parent may hold
    siblings)."""
    shown: str = "/work/app"
    """The directory as the docs show it."""
    base: str | None = None
    """A scenario whose template is copied first, then ``build`` runs on the copy."""
    env: Callable[[Workspace], dict[str, str]] | None = None
    """Variables of the scenario's shell beyond :meth:`Workspace.environment`."""
    paths: Callable[[Workspace], dict[str, str]] | None = None
    """More real path -> shown path pairs (an interpreter, ``$VIRTUAL_ENV``)."""
    hold: Callable[[Path], contextlib.AbstractContextManager[object]] | None = None
    """Held while an example runs, given the example's directory (a restore's lock)."""
    index: Callable[[Workspace, Path], str] | None = None
    """An index of its own, given the template's parent; returns its URL."""


@dataclass(slots=True, kw_only=True)
class Instance:
    """One example's copy of a scenario."""

    scenario: Scenario
    root: Path
    env: dict[str, str]
    mapping: list[tuple[str, str]]
    """Real -> shown paths, longest real first."""
    index_root: str
    """This example's loopback index, ``http://127.0.0.1:PORT``."""
    other_indexes: tuple[str, ...] = ()
    """Other loopback indexes of the session (shown as :data:`INDEX_SHOWN` too)."""
    python_version: str = field(default_factory=platform.python_version)

    def normalize(self, text: str) -> str:
        """Return real output as the docs would show it (the module docstring lists each rule)."""
        for real, shown in self.mapping:
            text = text.replace(real, shown)
        for root in (self.index_root, *self.other_indexes):
            text = text.replace(root, INDEX_SHOWN)
        minor = PYTHON_SHOWN.rsplit(".", 1)[0]
        if self.python_version.startswith(minor + "."):
            real = rf"(?<![\d.]){re.escape(self.python_version)}(?![\d])"
            text = re.sub(real, PYTHON_SHOWN, text)
        return shown_text(text)

    def real_command(self, line: str) -> str:
        """Return a command as it must run here: shown paths and index replaced by the real ones."""
        line = line.replace(INDEX_SHOWN, self.index_root)
        for real, shown in sorted(self.mapping, key=lambda pair: -len(pair[1])):
            line = line.replace(shown, real)
        return line

    def run(
        self, lines: list[str], *, merge: bool = True, shown: bool = True
    ) -> list[tuple[str, str]]:
        """Run commands in one ``bash``, in order; return ``(output, stderr)`` of each.

        With ``merge`` the output of each is its stdout and stderr interleaved,
        as a terminal shows them (``stderr`` is then empty); ``$?`` is the
        previous command's status, as in a shell. ``shown`` lines are as the
        docs show them (:meth:`real_command` first).
        """
        mark = f"printf '\\n%s\\n' '{_SEPARATOR}'"
        script = [
            f'pip() {{ "{sys.executable}" -m pip --python .venv/bin/python "$@"; }}',
            f"__next() {{ __s=$?; {mark}; {mark} >&2; return $__s; }}",
        ]
        if merge:
            script[1:] = ["exec 2>&1", f"__next() {{ __s=$?; {mark}; return $__s; }}"]
        for line in lines:
            script += [self.real_command(line) if shown else line, "__next"]
        with self.scenario.hold(self.root) if self.scenario.hold else contextlib.nullcontext():
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-c", "\n".join(script) + "\n"],
                cwd=self.root,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        outs = _split(proc.stdout)
        errs = [""] * len(outs) if merge else _split(proc.stderr)
        if len(outs) != len(lines) or len(errs) != len(lines):
            raise AssertionError(f"the shell stopped early:\n{proc.stdout}\n{proc.stderr}")
        return list(zip(outs, errs, strict=True))


def _split(text: str) -> list[str]:
    """Return what each command printed (the separator's own newline taken off)."""
    return text.split(f"\n{_SEPARATOR}\n")[:-1]


class Workspace:
    """The session's wheels, index, caches and scenario templates."""

    def __init__(
        self, root: Path, wheelhouse: Path, index_url: str, stack: contextlib.ExitStack
    ) -> None:
        self.root = root
        self._stack = stack
        self.wheelhouse = wheelhouse
        self.index_url = index_url
        self.scenarios: dict[str, Scenario] = {}
        self._templates: dict[str, tuple[Path, Path, str]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._counter = 0
        self.shims = root / "bin"
        self.shims.mkdir()
        self.indexes: list[str] = [index_url]
        """Every loopback index URL, so each is shown as :data:`INDEX_SHOWN`."""
        for name, target in {"envsnap": "-m envsnap", "python": "", "python3": ""}.items():
            shim = self.shims / name
            shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" {target} "$@"\n')
            shim.chmod(0o755)
        import uv  # noqa: PLC0415 - a runtime dependency of envsnap

        (self.shims / "uv").symlink_to(uv.find_uv_bin())

    def serve(self, directory: Path) -> str:
        """Serve ``directory`` as another loopback index until the session ends; return its URL."""
        return self._stack.enter_context(serve_index(directory))

    def add(self, scenario: Scenario) -> None:
        """Register a scenario (built the first time an example asks for it)."""
        self.scenarios[scenario.name] = scenario
        self._locks[scenario.name] = threading.Lock()

    def environment(self, index_url: str | None = None) -> dict[str, str]:
        """The variables every scenario's shell gets."""
        return clean_env(
            PATH=os.pathsep.join([str(self.shims), "/usr/bin", "/bin"]),
            PIP_INDEX_URL=index_url or self.index_url,
            UV_DEFAULT_INDEX=index_url or self.index_url,
            PYTHONUNBUFFERED="1",
            # caches of their own: a loopback port another test's index used may come again
            UV_CACHE_DIR=str(self.root / "uv-cache"),
            ENVSNAP_CACHE_DIR=str(self.root / "envsnap-cache"),
            HOME=str(self.root / "home"),
            NO_COLOR="1",
            COLUMNS="100",
        )

    def fresh(self, stem: str) -> Path:
        """Return a new empty directory of the workspace, ``STEM-N``."""
        with self._guard:
            self._counter += 1
            path = self.root / f"{stem}-{self._counter}"
        path.mkdir()
        return path

    def template(self, name: str) -> tuple[Path, Path, str]:
        """Build scenario ``name`` once; return (its parent dir, its dir, its index URL)."""
        with self._locks[name]:
            if name not in self._templates:
                scenario = self.scenarios[name]
                index_url = self.index_url
                if scenario.base is not None:
                    base_parent, base_root, index_url = self.template(scenario.base)
                    parent = self.fresh(f"template-{name}")
                    shutil.copytree(base_parent, parent, symlinks=True, dirs_exist_ok=True)
                    root = parent / Path(scenario.shown).name
                    if base_root.name != root.name:
                        (parent / base_root.name).rename(root)
                else:
                    parent = self.fresh(f"template-{name}")
                    root = parent / Path(scenario.shown).name
                    root.mkdir()
                if scenario.index is not None:
                    index_url = scenario.index(self, parent)
                    with self._guard:
                        self.indexes.append(index_url)
                scenario.build(self, root, index_url)
                self._templates[name] = (parent, root, index_url)
            return self._templates[name]

    def instance(self, name: str) -> Instance:
        """Return a fresh copy of scenario ``name`` for one example."""
        scenario = self.scenarios[name]
        parent, root, index_url = self.template(name)
        copy = self.fresh(f"example-{name}")
        shutil.copytree(parent, copy, symlinks=True, dirs_exist_ok=True)
        return self._instance(scenario, copy / root.name, index_url)

    def _instance(self, scenario: Scenario, root: Path, index_url: str) -> Instance:
        env = self.environment(index_url)
        if scenario.env is not None:
            env.update(scenario.env(self))
        shown = Path(scenario.shown)
        pairs = {
            sys.prefix: ENVSNAP_SHOWN,
            str(root): scenario.shown,
            str(root.parent): str(shown.parent),
        }
        pairs.update(scenario.paths(self) if scenario.paths else {})
        mapping = sorted(pairs.items(), key=lambda pair: -len(pair[0]))
        index_root = index_url.removesuffix("/simple/")
        others = tuple(u.removesuffix("/simple/") for u in self.indexes if u != index_url)
        return Instance(
            scenario=scenario,
            root=root,
            env=env,
            mapping=mapping,
            index_root=index_root,
            other_indexes=others,
        )

    def sh(
        self,
        root: Path,
        *lines: str,
        index_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Run set-up commands in ``root`` as the docs' shell would; fail on any error."""
        script = [
            "set -euo pipefail",
            f'pip() {{ "{sys.executable}" -m pip --python .venv/bin/python "$@"; }}',
            *lines,
        ]
        full = self.environment(index_url)
        full.update(env or {})
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", "\n".join(script) + "\n"],
            cwd=root,
            env=full,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            msg = f"set-up failed ({proc.returncode}): {lines}\n{proc.stdout}\n{proc.stderr}"
            raise AssertionError(msg)
        return proc.stdout


@contextlib.contextmanager
def flocked(directory: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory``, as a running ``envsnap restore`` does."""
    import fcntl  # noqa: PLC0415 - POSIX only, as the lock it stands for

    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
