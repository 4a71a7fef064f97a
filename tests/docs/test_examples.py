"""Every code and console example of README.md and docs/*.md runs, and shows what it prints.

Each fenced block is one of:

- ``console``/``shell``: each ``$ command`` runs in a scenario (a directory
  with a venv of wheels built with the names and versions the docs show,
  ``tests/docs/scenarios.py``), and what the block shows under it must be
  its output (stdout and stderr, as a terminal shows them);
- ``sh``: runs as a script and prints nothing;
- ``python``: runs in a scenario's directory; ``EXPR  # -> SHOWN`` lines
  compare ``repr(EXPR)`` with SHOWN; it imports envsnap's public API only
  (``envsnap`` and ``envsnap.api``);
- a file or another program's output (``toml``, ``json``...): compared
  with the file (``<!-- example: file=PATH -->``) or the command's stdout
  (``<!-- example: command="..." -->``) of its scenario;
- or marked ``<!-- example: not run: REASON -->`` in the markdown.

A block that is none of these fails :func:`test_every_block_is_run_or_marked`.
What may differ between the docs and a run (temporary paths, the loopback
index's port, timings) is listed in ``tests/docs/workspace.py``; ``...``
shortens output as in doctest (``tests/support/docblocks.py``).

The examples run concurrently (their time is spent waiting for envsnap, pip
and uv subprocesses); each test then reports its own example.
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import envsnap
import envsnap.api
from support.docblocks import Block, collect, commands, matches, mismatch
from support.index import serve_index

from .scenarios import build_wheels, register
from .workspace import Instance, Workspace, shown_text

if TYPE_CHECKING:
    from collections.abc import Iterator

# one xdist worker runs them all: the `results` fixture starts every example of the session
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("docs-examples")]

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = collect(ROOT)

HANDLED_HERE = {
    ("docs/architecture.md", "freeze / tree / check (the environment side)"): (
        "a diagram of the packages, not a program's output"
    ),
}
"""Blocks not run, for files this test does not edit: (file, first line) -> reason."""

SCRIPTS = {"console", "shell"}
PUBLIC_MODULES = {"envsnap": set(envsnap.__all__), "envsnap.api": set(envsnap.api.__all__)}
_SHOWN = re.compile(r"^(?P<indent>\s*)(?P<expr>\S.*?)\s+# -> (?P<shown>.*)$")
_MARK = "@@@ envsnap docs: shown value @@@"
_WORKERS = 4


def _runnable(block: Block) -> bool:
    if block.not_run is not None or (block.path, block.first_line) in HANDLED_HERE:
        return False
    return block.lang in {*SCRIPTS, "sh", "python"} or bool(
        {"file", "command"} & set(block.options)
    )


RUN = [block for block in BLOCKS if _runnable(block)]


def test_every_block_is_run_or_marked() -> None:
    unmarked = [
        f"{block.id} ({block.lang or 'no language'}): {block.first_line}"
        for block in BLOCKS
        if not _runnable(block)
        and block.not_run is None
        and (block.path, block.first_line) not in HANDLED_HERE
    ]
    assert not unmarked, (
        "blocks neither run nor marked <!-- example: not run: REASON --> "
        "(or file=/command= to compare them):\n" + "\n".join(unmarked)
    )


def test_the_blocks_were_found() -> None:
    assert len(BLOCKS) > 50
    assert {b.path for b in RUN} >= {"README.md", "docs/freeze.md", "docs/restore.md"}
    assert HANDLED_HERE.keys() <= {(b.path, b.first_line) for b in BLOCKS}


def _attribute_chain(node: ast.AST) -> list[str]:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names[::-1]


def private_uses(source: str) -> list[str]:
    """Return each use of an envsnap name outside ``envsnap`` and ``envsnap.api``."""
    found: list[str] = []
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # a name the code binds -> the public module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "envsnap":
                    continue
                if alias.name not in PUBLIC_MODULES:
                    found.append(f"import {alias.name}")
                elif alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound["envsnap"] = "envsnap"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "envsnap":
            public = PUBLIC_MODULES.get(node.module or "")
            for alias in node.names:
                if (node.module, alias.name) == ("envsnap", "api"):
                    bound[alias.asname or "api"] = "envsnap.api"
                elif public is None or alias.name not in public:
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        chain = _attribute_chain(node)
        if not isinstance(node, ast.Attribute) or len(chain) < 2 or chain[0] not in bound:
            continue
        module, rest = bound[chain[0]], chain[1:]
        if module == "envsnap" and rest[0] == "api":
            module, rest = "envsnap.api", rest[1:]
        if rest and rest[0] not in PUBLIC_MODULES[module]:
            found.append(f"{module}.{rest[0]}")
    return sorted(set(found))


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "python"], ids=lambda b: b.id)
def test_python_examples_use_the_public_api_only(block: Block) -> None:
    assert private_uses(block.text) == []


def test_private_uses_are_found() -> None:
    source = (
        "import envsnap\nimport envsnap.lockfiles\nfrom envsnap.api import dumps, Lock\n"
        "from envsnap.restore import restore\nfrom envsnap import api, read_lock\n"
        "import envsnap.api as public\n"
        "envsnap.take_snapshot('.venv')\nenvsnap.lockfiles.get_writer\n"
        "envsnap.api.restore\nenvsnap.api._private\napi.plan_restore\npublic.Snapshot.x\n"
        "api.restore.swap\n"
    )
    assert private_uses(source) == [
        "envsnap.api._private",
        "envsnap.lockfiles",
        "from envsnap.restore import restore",
        "import envsnap.lockfiles",
    ]


# --- running the examples ------------------------------------------------------


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("docs")
    wheels = build_wheels(root / "wheels")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(serve_index(wheels))
        ws = Workspace(root, wheels, url, stack)
        register(ws)
        yield ws


def _scenario(block: Block) -> str:
    return block.options.get("scenario", "web")


def _console(ws: Workspace, block: Block) -> list[str]:
    instance = ws.instance(_scenario(block))
    steps = commands(block)
    if not steps:
        return [f"{block.id}: a console block without a '$ ' command"]
    outputs = instance.run([step.line for step in steps])
    return [
        mismatch(shown_text(step.shown), instance.normalize(out), what=f"$ {step.line}")
        for step, (out, _) in zip(steps, outputs, strict=True)
        if not matches(shown_text(step.shown), instance.normalize(out))
    ]


def _script(ws: Workspace, block: Block) -> list[str]:
    instance = ws.instance(_scenario(block))
    (out, _), (status, _) = instance.run([block.text, "echo $?"])
    if out.strip() or status.strip() != "0":
        return [f"the script printed {out!r} and ended with {status.strip()}"]
    return []


def _python_source(text: str) -> str:
    lines = [
        "def __shown(value, line):",
        f"    print({_MARK!r}, line, repr(value), sep='\\t')",
    ]
    for number, line in enumerate(text.splitlines(), start=1):
        found = _SHOWN.match(line)
        lines.append(f"{found['indent']}__shown(({found['expr']}), {number})" if found else line)
    return "\n".join(lines) + "\n"


def _python(ws: Workspace, block: Block) -> list[str]:
    instance = ws.instance(_scenario(block))
    script = instance.root.parent / "example.py"
    script.write_text(_python_source(block.text))
    [(out, err)] = instance.run([f'"{sys.executable}" {script}'], merge=False, shown=False)
    problems = [f"it failed:\n{err}"] if err.strip() else []
    shown = {
        number: found["shown"]
        for number, line in enumerate(block.text.splitlines(), start=1)
        if (found := _SHOWN.match(line))
    }
    real = {}
    for line in out.splitlines():
        if line.startswith(_MARK + "\t"):
            _, number, value = line.split("\t", 2)
            real[int(number)] = instance.normalize(value)
    for number, value in shown.items():
        if number not in real:
            problems.append(f"line {number} of the block did not run")
        elif not matches(shown_text(value), real[number]):
            problems.append(f"line {number}: shown {value}, real {real[number]}")
    return problems


def _compared(ws: Workspace, block: Block) -> list[str]:
    instance = ws.instance(_scenario(block))
    if "command" in block.options:
        [(real, err)] = instance.run([block.options["command"]], merge=False)
        what = block.options["command"]
    else:
        found = sorted(instance.root.glob(block.options["file"]))
        if len(found) != 1:
            return [f"file={block.options['file']} matches {len(found)} files"]
        real, err, what = found[0].read_text(encoding="utf-8"), "", block.options["file"]
    normalized = instance.normalize(real)
    if matches(shown_text(block.text), normalized):
        return []
    stderr = instance.normalize(err)
    return [mismatch(shown_text(block.text), normalized, what=what) + f"\n--- stderr\n{stderr}"]


def run_block(ws: Workspace, block: Block) -> list[str]:
    """Run one example; return what differs from what it shows (empty: all as shown)."""
    if block.lang in SCRIPTS:
        return _console(ws, block)
    if block.lang == "sh":
        return _script(ws, block)
    if block.lang == "python":
        return _python(ws, block)
    return _compared(ws, block)


@pytest.fixture(scope="session")
def results(
    workspace: Workspace, request: pytest.FixtureRequest
) -> dict[str, concurrent.futures.Future[list[str]]]:
    """Start every selected example at once (a few at a time); each test waits for its own."""
    selected = {
        item.callspec.params["block"].id
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_shown_output"
    }
    blocks = [block for block in RUN if block.id in selected]
    pool = concurrent.futures.ThreadPoolExecutor(_WORKERS, thread_name_prefix="docs-example")
    request.addfinalizer(lambda: pool.shutdown(cancel_futures=True))
    # the scenarios first, each on its own (the examples of one would wait for it in turn)
    for name in dict.fromkeys(_scenario(block) for block in blocks):
        pool.submit(workspace.template, name)
    return {block.id: pool.submit(run_block, workspace, block) for block in blocks}


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_shown_output(
    block: Block, results: dict[str, concurrent.futures.Future[list[str]]]
) -> None:
    problems = results[block.id].result(timeout=600)
    assert not problems, f"{block.id} differs from what it shows:\n" + "\n\n".join(problems)


def test_instance_normalizes_only_what_varies(workspace: Workspace) -> None:
    instance = Instance(
        scenario=workspace.scenarios["web"],
        root=Path("/tmp/x/app"),
        env={},
        mapping=[("/tmp/x/app", "/work/app"), ("/tmp/x", "/work")],
        index_root="http://127.0.0.1:4711",
        python_version="3.11.2",
    )
    real = (
        "read: /tmp/x/app/pylock.toml [0.12s] from http://127.0.0.1:4711/simple\n"
        "Python 3.11.2, 3.11.20, packaging 26.4, /tmp/x/outside\n"
    )
    assert instance.normalize(real) == (
        "read: /work/app/pylock.toml [TIME] from https://my-index.example/simple\n"
        "Python 3.11.7, 3.11.20, packaging VERSION, /work/outside\n"
    )
    shown = "envsnap check /work/app --index-url https://my-index.example"
    real = "envsnap check /tmp/x/app --index-url http://127.0.0.1:4711"
    assert instance.real_command(shown) == real
