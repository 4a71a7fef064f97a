"""The scenarios the documentation's examples run in, and the wheels they are made of.

Every package the docs show is built here as a small wheel with that name,
version and the requirements the real release declares (``requests 2.32.3``
requires ``charset-normalizer<4,>=2``...), so an example looks like what a
user sees. The venvs are made as a user makes them, from the loopback index:
``python -m venv`` and pip where what the docs show depends on pip's
``REQUESTED`` files (requested vs root), else ``uv venv`` and ``uv pip``
(several times faster; the docs say which where it shows).

Each builder fills a scenario's directory; ``base=`` copies another
scenario's first. :func:`register` adds them all to a workspace.
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from typing import TYPE_CHECKING

from support.venvs import make_venv
from support.wheels import build_sdist, build_wheel, dist_name, seed_wheels, write_project

from .workspace import ENVSNAP_SHOWN, Scenario, flocked

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from .workspace import Workspace

    Variables = Callable[[Workspace], dict[str, str]]

__all__ = ["WHEELS", "build_wheels", "register"]

WHEELS: dict[tuple[str, str], dict[str, object]] = {
    # a web client and a terminal renderer (README, freeze, check, restore, pylock, docker)
    ("requests", "2.32.3"): {
        "requires": [
            "charset-normalizer<4,>=2",
            "idna<4,>=2.5",
            "urllib3<3,>=1.21.1",
            "certifi>=2017.4.17",
        ],
        "requires_python": ">=3.8",
    },
    ("certifi", "2024.8.30"): {"requires_python": ">=3.6"},
    ("charset-normalizer", "3.4.0"): {"requires_python": ">=3.7.0"},
    ("idna", "3.10"): {"requires_python": ">=3.6"},
    ("urllib3", "2.2.3"): {"requires_python": ">=3.8"},
    ("urllib3", "2.3.0"): {"requires_python": ">=3.9"},
    ("rich", "13.9.4"): {
        "requires": [
            "markdown-it-py>=2.2.0",
            "pygments<3.0.0,>=2.13.0",
            'typing-extensions<5.0,>=4.0.0; python_version < "3.11"',
        ],
        "requires_python": ">=3.8.0",
    },
    ("markdown-it-py", "3.0.0"): {"requires": ["mdurl~=0.1"], "requires_python": ">=3.8"},
    ("mdurl", "0.1.2"): {"requires_python": ">=3.7"},
    ("Pygments", "2.18.0"): {"requires_python": ">=3.8"},
    ("typing_extensions", "4.12.2"): {"requires_python": ">=3.8"},
    ("tomli", "2.2.1"): {"requires_python": ">=3.8"},
    # a dependency graph with a shared package and an extra (check.md, envsnap tree)
    ("app", "1.0"): {"requires": ["lib>=1", "shared"]},
    ("lib", "1.5"): {"requires": ["shared[fast]<3"]},
    ("shared", "2.0"): {"extras": {"fast": ["leaf"]}},
    ("leaf", "0.1"): {},
    ("tool", "2.0"): {"requires": ["shared"]},
    # an extra nobody asks for any more (freeze.md: extras inferred as explanation)
    ("uvicorn", "0.34.0"): {
        "requires": ["click>=7.0", "h11>=0.8"],
        "extras": {
            "standard": [
                "httptools>=0.6.3",
                "python-dotenv>=0.13",
                "uvloop!=0.15.0,!=0.15.1,>=0.14.0; sys_platform != 'win32' and "
                "(sys_platform != 'cygwin' and platform_python_implementation != 'PyPy')",
                "websockets>=10.4",
            ]
        },
        "requires_python": ">=3.9",
    },
    ("click", "8.5.1"): {"requires": ['colorama; platform_system == "Windows"']},
    ("h11", "0.14.0"): {},
    ("httptools", "0.6.4"): {},
    ("python-dotenv", "1.0.1"): {},
    ("uvloop", "0.21.0"): {},
    ("websockets", "14.1"): {},
    # uv records no request (freeze.md: where REQUESTED carries no signal)
    ("x", "1.0"): {"extras": {"django": ["django>=4"]}},
    ("Django", "5.1.4"): {"requires_python": ">=3.10"},
    # every field of the JSON snapshot (json-schema.md)
    ("Service", "1.0"): {"requires": ["lib[fast]>=1", "missing"]},
    ("lib", "2.0"): {"extras": {"fast": ["speed"]}},
    ("speed", "1.0"): {},
    # a package with a wheel for one platform only (docker.md: check BUNDLE)
    ("native", "1.0"): {"tag": "py3-none-linux_x86_64"},
    # what pytest needs on other Pythons and platforms (portable.md)
    ("pytest", "9.2.0"): {
        "requires": [
            'colorama>=0.4; sys_platform == "win32"',
            'exceptiongroup>=1; python_version < "3.11"',
            "iniconfig>=1",
            "packaging>=20",
            "pluggy<2,>=1.5",
            "pygments>=2.7.2",
            'tomli>=1; python_version < "3.11"',
        ],
        "requires_python": ">=3.10",
    },
    ("colorama", "0.4.6"): {"requires_python": ">=2.7"},
    ("exceptiongroup", "1.3.2"): {
        "requires": ['typing-extensions>=4.6.0; python_version < "3.13"'],
        "requires_python": ">=3.7",
    },
    ("iniconfig", "2.1.0"): {"requires_python": ">=3.8"},
    ("packaging", "25.0"): {"requires_python": ">=3.8"},
    ("pluggy", "1.6.0"): {"requires_python": ">=3.9"},
}
"""(name, version) -> keyword arguments of :func:`support.wheels.build_wheel`."""

WEB = ["requests==2.32.3", "rich==13.9.4"]
"""What the docs' user typed: ``pip install requests rich`` (pip chose these)."""
WEB_CONSTRAINTS = "urllib3==2.2.3\n"
"""The versions pip chose then for what they require."""

PYPROJECT = """\
[project]
name = "app"
version = "1.0"
requires-python = ">=3.10"
dependencies = ["requests>=2.31"]
"""


def build_wheels(dest: Path) -> Path:
    """Build :data:`WHEELS` and the seed wheels of ``uv venv --seed`` into ``dest``."""
    for (name, version), kwargs in WHEELS.items():
        build_wheel(dest, name, version, **kwargs)  # type: ignore[arg-type]
    seed_wheels(dest)
    return dest


def _pip_venv(ws: Workspace, root: Path, *args: str, constraints: str = "") -> None:
    """``python -m venv .venv`` and ``pip install ARGS`` from the index, as a user does.

    pip, not uv, where what the docs show depends on pip's ``REQUESTED`` files.
    """
    make_venv(root / ".venv")
    _install(ws, root, "pip install -q", *args, constraints=constraints)


def _uv_venv(ws: Workspace, root: Path, *args: str, constraints: str = "") -> None:
    """``uv venv`` and ``uv pip install ARGS`` from the index (several times faster than pip)."""
    ws.sh(root, f'uv venv -q --python "{sys.executable}" .venv')
    _install(ws, root, "uv pip install -q", *args, constraints=constraints)


def _install(ws: Workspace, root: Path, command: str, *args: str, constraints: str) -> None:
    if constraints:
        (root.parent / "constraints.txt").write_text(constraints)
        args = (*args, "-c", "../constraints.txt")
    ws.sh(root, f"{command} {' '.join(args)}")
    (root.parent / "constraints.txt").unlink(missing_ok=True)


def build_web(ws: Workspace, root: Path, index: str) -> None:
    """``/work/app``: a project declaring requests, a venv where pip installed requests and rich.

    ``requirements.txt`` is what ``envsnap freeze`` wrote of it.
    """
    (root / "pyproject.toml").write_text(PYPROJECT)
    _pip_venv(ws, root, *WEB, constraints=WEB_CONSTRAINTS)
    ws.sh(root, "envsnap freeze -q -o requirements.txt", index_url=index)


def _nothing(ws: Workspace, root: Path, index: str) -> None:
    """A scenario that is its base (or an empty directory) with other surroundings."""


def _own_env(shown: str) -> tuple[Variables, Variables]:
    """``$VIRTUAL_ENV`` set to envsnap's own environment, shown as ``shown``."""
    return (lambda _ws: {"VIRTUAL_ENV": sys.prefix}), (lambda _ws: {sys.prefix: shown})


def build_usr_link(ws: Workspace, root: Path, index: str) -> None:
    """``.venv -> /usr``: a link to a Python installation (the one running the tests)."""
    (root / ".venv").symlink_to(sys.base_prefix)


def build_edited(ws: Workspace, root: Path, index: str) -> None:
    """The web venv after someone edited an installed file in place."""
    (module,) = root.glob(".venv/lib/python*/site-packages/rich/__init__.py")
    with module.open("a") as handle:
        handle.write("# edited\n")


def build_universal(ws: Workspace, root: Path, index: str) -> None:
    """Two requirements files of one resolution: this machine's, and one for every Python."""
    (root / "linux.txt").write_text("click==8.5.1\ntomli==2.2.1\n")
    (root / "universal.txt").write_text(
        'click==8.1.8 ; python_full_version < "3.10"\n'
        'click==8.5.1 ; python_full_version >= "3.10"\n'
        'tomli==2.2.1 ; python_full_version < "3.11"\n'
    )


def build_tree(ws: Workspace, root: Path, index: str) -> None:
    """A venv where app and tool were installed (lib, shared[fast] and leaf came with them)."""
    _uv_venv(ws, root, "app", "tool", constraints="lib==1.5\n")


def build_upgraded(ws: Workspace, root: Path, index: str) -> None:
    """The web venv after ``pip install urllib3==2.3.0`` (its lock still says 2.2.3)."""
    ws.sh(root, "uv pip install -q urllib3==2.3.0", index_url=index)


def build_uvicorn(ws: Workspace, root: Path, index: str) -> None:
    """A venv where pip installed ``uvicorn[standard]``."""
    _pip_venv(ws, root, "'uvicorn[standard]'")


def build_uv_django(ws: Workspace, root: Path, index: str) -> None:
    """A venv uv made, where ``uv pip install 'x[django]'`` brought Django."""
    _uv_venv(ws, root, "'x[django]'")


def build_pylock(ws: Workspace, root: Path, index: str) -> None:
    """The web scenario with ``pylock.toml`` frozen from the index pip would use."""
    ws.sh(root, "envsnap freeze -q -o pylock.toml", index_url=index)


def build_outside(ws: Workspace, root: Path, index: str) -> None:
    """A venv holding gamma, installed from an sdist outside the project, and its pylock.toml."""
    build_sdist(root.parent / "outside", "gamma", "1.0")
    _uv_venv(ws, root, "../outside/gamma-1.0.tar.gz")
    ws.sh(root, "envsnap freeze -q -o pylock.toml")


def build_elsewhere(ws: Workspace, root: Path, index: str) -> None:
    """A pylock.toml naming the directory ``../hatchlib``, which is gone since."""
    write_project(root.parent / "hatchlib", "hatchlib", "1.0")
    (root / "pyproject.toml").write_text(PYPROJECT)
    _uv_venv(ws, root, *WEB, "../hatchlib", constraints=WEB_CONSTRAINTS)
    ws.sh(root, "envsnap freeze -q -o pylock.toml", index_url=index)
    shutil.rmtree(root.parent / "hatchlib")
    shutil.rmtree(root / ".venv")


def build_wheelhouse(ws: Workspace, root: Path, index: str) -> None:
    """The web scenario with ``./wheelhouse``: the files its venv was installed from."""
    (root / "wheelhouse").mkdir()
    for name, version in WHEELS:
        for wheel in ws.wheelhouse.glob(f"{dist_name(name)}-{version}-*.whl"):
            shutil.copy(wheel, root / "wheelhouse")


def build_bad_pylock(ws: Workspace, root: Path, index: str) -> None:
    """A pylock.toml whose second package's wheel lost its hashes."""
    lines = (root / "pylock.toml").read_text().splitlines(keepends=True)
    second = [n for n, line in enumerate(lines) if line.startswith("wheels = [")][1]
    lines[second + 1] = re.sub(r", hashes = \{[^}]*\}", "", lines[second + 1])
    (root / "pylock.toml").write_text("".join(lines))


def build_schema(ws: Workspace, root: Path, index: str) -> None:
    """A uv venv: Service requires lib[fast] and a missing package; a broken dist-info beside."""
    _uv_venv(ws, root, "--no-deps", "Service", "lib==2.0", "speed")
    (site,) = root.glob(".venv/lib/python*/site-packages")
    broken = site / "bad-nope.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: bad\nVersion: nope\n")


def build_drifted(ws: Workspace, root: Path, index: str) -> None:
    """The web venv with urllib3 upgraded and idna uninstalled since its lock was written."""
    ws.sh(root, "uv pip install -q urllib3==2.3.0", "uv pip uninstall -q idna", index_url=index)


def build_bundled(ws: Workspace, root: Path, index: str) -> None:
    """The pylock scenario with ``bundle.zip``, made by ``envsnap bundle``."""
    ws.sh(root, "envsnap bundle -q pylock.toml -o bundle.zip", index_url=index)


def build_unpacked(ws: Workspace, root: Path, index: str) -> None:
    """``bundle.zip`` beside an empty venv (another machine, where nothing was installed)."""
    for name in [p.name for p in root.iterdir() if p.name != "bundle.zip"]:
        path = root / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    make_venv(root / ".venv")


def build_damaged(ws: Workspace, root: Path, index: str) -> None:
    """``bundle.zip`` with one byte of idna's wheel changed (wheels are stored, not deflated)."""
    bundle = root / "bundle.zip"
    with zipfile.ZipFile(bundle) as archive:
        member = archive.getinfo("files/idna-3.10-py3-none-any.whl")
    data = bytearray(bundle.read_bytes())
    # the member's data follows its 30-byte local header, its name and its extra field
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    data[start + member.compress_size // 2] ^= 0xFF
    bundle.write_bytes(bytes(data))


def build_native(ws: Workspace, root: Path, index: str) -> None:
    """A bundle directory of a lock whose ``native`` has a Linux x86_64 wheel only."""
    _uv_venv(ws, root, "native", "idna")
    ws.sh(
        root,
        "envsnap freeze -q -o pylock.toml",
        "envsnap bundle -q pylock.toml -o bundle",
        "rm -rf .venv pylock.toml",
        index_url=index,
    )


def build_restored(ws: Workspace, root: Path, index: str) -> None:
    """The pylock scenario after ``envsnap restore`` (provenance_url.json recorded)."""
    ws.sh(root, "envsnap restore -q", index_url=index)


def index_copy(ws: Workspace, parent: Path) -> str:
    """An index of its own (a copy of the session's wheels), so a scenario may change it."""
    files = parent / "index-files"
    shutil.copytree(ws.wheelhouse, files)
    return ws.serve(files)


def build_index_changed(ws: Workspace, root: Path, index: str) -> None:
    """A venv restored from its index, which then dropped idna 3.10 and replaced certifi's file."""
    ws.sh(root, "envsnap freeze -q -o pylock.toml", "envsnap restore -q", index_url=index)
    files = root.parent / "index-files"
    (files / "idna-3.10-py3-none-any.whl").unlink()
    kwargs = WHEELS["certifi", "2024.8.30"]
    rebuilt = {"certifi/__init__.py": '"""certifi, rebuilt."""\n'}
    build_wheel(files, "certifi", "2024.8.30", files=rebuilt, **kwargs)  # type: ignore[arg-type]


def build_portable(ws: Workspace, root: Path, index: str) -> None:
    """A venv where uv installed click, pytest and requests on this machine's Python."""
    _uv_venv(ws, root, "click", "pytest", "requests", constraints=WEB_CONSTRAINTS)


def register(ws: Workspace) -> None:
    """Add every scenario of the docs to ``ws``."""
    hook_env, hook_paths = _own_env("/home/me/.cache/pre-commit/repo1x2y/py_env-python3.12")
    pipx_env, pipx_paths = _own_env(ENVSNAP_SHOWN)
    for scenario in [
        Scenario(name="web", build=build_web),
        Scenario(name="hook-env", base="web", build=_nothing, env=hook_env, paths=hook_paths),
        Scenario(name="pipx", build=_nothing, env=pipx_env, paths=pipx_paths),
        Scenario(
            name="usr-link",
            build=build_usr_link,
            paths=lambda _ws: {sys.base_prefix: "/usr"},
        ),
        Scenario(name="restoring", base="web", build=_nothing, hold=flocked),
        Scenario(name="edited", base="web", build=build_edited),
        Scenario(name="universal", build=build_universal),
        Scenario(name="tree", build=build_tree),
        Scenario(name="uvicorn", build=build_uvicorn),
        Scenario(name="uv-django", build=build_uv_django),
        Scenario(name="notes", build=_nothing, shown="/home/me/notes"),
        Scenario(name="pylock", base="web", build=build_pylock),
        Scenario(name="wheelhouse", base="web", build=build_wheelhouse),
        Scenario(name="bad-pylock", base="pylock", build=build_bad_pylock),
        Scenario(name="outside", build=build_outside),
        Scenario(name="elsewhere", build=build_elsewhere, shown="/tmp/elsewhere"),
        Scenario(name="schema", build=build_schema, paths=lambda _ws: {sys.base_prefix: "/usr"}),
        Scenario(name="drifted", base="web", build=build_drifted),
        Scenario(name="bundled", base="pylock", build=build_bundled),
        Scenario(name="unpacked", base="bundled", build=build_unpacked),
        Scenario(name="damaged", base="bundled", build=build_damaged),
        Scenario(name="native", build=build_native),
        Scenario(name="restored", base="pylock", build=build_restored),
        Scenario(
            name="index-changed",
            base="web",
            build=build_index_changed,
            index=index_copy,
            # a page fetched in the last day answers for a version it lists (see freeze.md)
            env=lambda ws: {"ENVSNAP_CACHE_DIR": str(ws.fresh("envsnap-cache"))},
        ),
        Scenario(name="portable", build=build_portable),
        Scenario(name="runner", base="web", build=build_upgraded, shown="/home/runner/work/app"),
    ]:
        ws.add(scenario)
