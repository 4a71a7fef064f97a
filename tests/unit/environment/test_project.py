"""Reading declared dependencies from pyproject.toml (PEP 621, PEP 735)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from envsnap.environment.project import read_project
from envsnap.errors import InputError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "pyproject"
FULL = FIXTURES / "full.toml"


def sources(path: Path, **kwargs: list[str]) -> list[tuple[str, str]]:
    declaration = read_project(path, **kwargs)  # type: ignore[arg-type]
    return [(str(d.requirement), d.source) for d in declaration.dependencies]


def test_project_dependencies_only_by_default() -> None:
    declaration = read_project(FULL)
    assert declaration.path == FULL
    assert declaration.name == "my-app"
    assert declaration.names == frozenset({"requests", "rich"})
    assert sources(FULL) == [("requests>=2.31", "dependencies"), ("Rich", "dependencies")]


def test_directory_is_accepted(tmp_path: Path) -> None:
    shutil.copy(FULL, tmp_path / "pyproject.toml")
    assert read_project(tmp_path).path == tmp_path / "pyproject.toml"


def test_extras_by_any_spelling_and_star() -> None:
    assert sources(FULL, extras=["socks"])[-1] == ("PySocks>=1.7", "optional-dependencies.Socks")
    assert [s for _, s in sources(FULL, extras=["*"])][2:] == [
        "optional-dependencies.Socks",
        "optional-dependencies.yaml",
    ]


def test_dependency_groups_with_include_group() -> None:
    assert sources(FULL, groups=["test"])[2:] == [
        ("pytest>=8", "dependency-groups.test"),
        ("ruff", "dependency-groups.test"),
    ]
    assert read_project(FULL, groups=["*"]).names == frozenset(
        {"requests", "rich", "pytest", "ruff", "sphinx"}
    )


def test_unknown_extra_or_group_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        read_project(FULL, extras=["nope"])
    assert info.value.message == (
        f"{FULL}: no optional-dependencies entry named 'nope' (known: Socks, yaml)"
    )
    assert info.value.exit_code == 2
    with pytest.raises(
        InputError, match=r"no dependency-groups entry named 'x' \(known: docs, lint, test\)"
    ):
        read_project(FULL, groups=["x"])


def test_group_cycle_is_an_input_error() -> None:
    path = FIXTURES / "group-cycle.toml"
    with pytest.raises(InputError) as info:
        read_project(path, groups=["a"])
    assert info.value.message == (
        f"{path}: invalid [dependency-groups]: "
        "Cyclic dependency group include while resolving a: a -> b, b -> a"
    )


def test_no_project_table_gives_no_dependencies(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.other]\nx = 1\n", encoding="utf-8")
    declaration = read_project(path)
    assert (declaration.name, declaration.dependencies) == (None, ())


def test_invalid_requirement_names_the_file_and_table() -> None:
    path = FIXTURES / "invalid-requirement.toml"
    with pytest.raises(InputError) as info:
        read_project(path)
    assert info.value.message.startswith(
        f"{path}: invalid requirement 'scikit-learn (>=1.0.*)' in dependencies: "
    )


def test_invalid_toml() -> None:
    path = FIXTURES / "not-toml.toml"
    with pytest.raises(InputError, match=r"not-toml\.toml: invalid TOML: "):
        read_project(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_project(tmp_path / "pyproject.toml")
    assert (
        info.value.message
        == f"{tmp_path / 'pyproject.toml'}: cannot read: No such file or directory"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[project]\ndependencies = "requests"\n',
            "[dependencies] must be a list of requirement strings",
        ),
        ("[project]\noptional-dependencies = 3\n", "[optional-dependencies] must be a table"),
        ("project = 3\n", "[project] must be a table"),
    ],
)
def test_wrong_shapes(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_project(path, extras=["*"])
    assert info.value.message == f"{path}: {message}"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[project]\nname = "caf\xe9"\n')
    with pytest.raises(InputError, match=r"cannot read: .utf-8. codec can.t decode"):
        read_project(path)
