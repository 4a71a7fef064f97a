"""No module of envsnap reaches into another package's private names.

A private name (``_x``, ``pkg._mod``) may change in any release of that
package; envsnap uses public APIs only. The one documented exception: pip's
built-in default index, which pip exposes only in ``pip._internal.models.index``
(kept in one function, ``envsnap.index.settings``, with its own test).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "envsnap"

ALLOWED = {("index/settings.py", "pip._internal.models.index")}
"""``(module path under src/envsnap, imported module)`` pairs allowed to be private."""


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def private_uses(source: str) -> list[tuple[int, str]]:
    """Return ``(line, what)`` for each private name of another package ``source`` uses."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "envsnap":
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
                    if _private(alias.name):
                        found.append((node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in {"envsnap", "__future__"}:
                continue
            for alias in node.names:
                if _private(node.module) or _private(alias.name):
                    found.append((node.lineno, f"{node.module}.{alias.name}"))
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found += [
        (node.lineno, f"{aliases[node.value.id]}.{node.attr}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and _private(node.attr)
    ]
    return found


def test_the_scanner_finds_each_form() -> None:
    source = (
        "import pip._internal.main\n"
        "from pip_api._parse_requirements import parse\n"
        "from installer.destinations import _path_with_destdir\n"
        "import installer\n"
        "installer._core\n"
        "from envsnap._text import file_url_path\n"
        "from packaging.version import Version\n"
    )
    assert private_uses(source) == [
        (1, "pip._internal.main"),
        (2, "pip_api._parse_requirements.parse"),
        (3, "installer.destinations._path_with_destdir"),
        (5, "installer._core"),
    ]


def test_src_imports_no_private_name_of_another_package() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        for line, what in private_uses(path.read_text(encoding="utf-8")):
            if not any(
                relative == where and what.startswith(allowed) for where, allowed in ALLOWED
            ):
                found.append(f"src/envsnap/{relative}:{line}: {what}")
    assert found == []


def test_the_one_exception_is_still_used() -> None:
    # when pip exposes its default index publicly, drop the exception
    text = (SRC / "index" / "settings.py").read_text(encoding="utf-8")
    assert [what for _, what in private_uses(text)] == ["pip._internal.models.index.PyPI"]
