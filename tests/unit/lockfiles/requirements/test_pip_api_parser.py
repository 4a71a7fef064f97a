"""What pip-api reads for the reader: pip's URL and path forms, and its own checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from packaging.markers import Marker
from packaging.version import Version

from envsnap.errors import OperationError
from envsnap.lockfiles.requirements.read import load

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from envsnap.errors import EnvsnapError

    Refusal = Callable[..., EnvsnapError]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the current directory: pip reads relative paths from there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_wheel_path_and_an_egg_url_are_read_as_pip_api_reads_them(here: Path) -> None:
    (here / "wheels").mkdir()
    (here / "wheels" / "colorama-0.4.6-py3-none-any.whl").write_bytes(b"")
    path = here / "requirements.txt"
    path.write_text(
        './wheels/colorama-0.4.6-py3-none-any.whl ; python_version < "3"\n'
        "git+https://git.example.invalid/tool.git@v1#egg=tool\n",
        encoding="utf-8",
    )
    lock = load(path)
    colorama, tool = lock.packages
    assert (colorama.name, colorama.version, colorama.marker) == (
        "colorama",
        Version("0.4.6"),
        Marker('python_version < "3"'),
    )
    assert (tool.name, tool.version, tool.pinned) == ("tool", None, True)  # its URL, from #egg=


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "https://files.example.invalid/x.tar.gz",
            ":1: Missing egg fragment in URL: https://files.example.invalid/x.tar.gz",
        ),
        ("./nothing-here/", ":1: Directory './nothing-here/' is not installable."),
        (
            './wheels/colorama-0.4.6-py3-none-any.whl ; python_version >>> "3"',
            ":1: invalid requirement: Expected a marker variable or quoted string",
        ),
        ("https://[::1/x-1.0-py3-none-any.whl", ":1: Invalid IPv6 URL"),
        (" \\ -e ./proj", ":1: invalid requirement: \\"),  # pip reads no requirement there
    ],
    ids=["no-egg", "not-a-project", "bad-marker", "bad-url", "no-requirement"],
)
def test_what_pip_api_refuses_is_named_with_its_line(
    here: Path, refusal: Refusal, line: str, message: str
) -> None:
    (here / "nothing-here").mkdir()
    (here / "wheels").mkdir()
    (here / "wheels" / "colorama-0.4.6-py3-none-any.whl").write_bytes(b"")
    assert refusal(f"{line}\n").message.startswith(f"{here}/requirements.txt{message}")


def test_an_option_pip_api_reads_otherwise_is_refused(here: Path, refusal: Refusal) -> None:
    path = here / "requirements.txt"
    message = refusal("alpha>=1\nbeta==1.0 -i -f\n").message
    assert message == f"{path}: argument -i/--index-url: expected one argument"


def test_an_include_pip_api_names_otherwise_is_refused(here: Path, refusal: Refusal) -> None:
    (here / "a.txt").write_text("alpha==1.0\n", encoding="utf-8")
    message = refusal('-r "a.txt"\n').message  # pip unquotes it; pip-api does not
    assert message == (f'{here}/"a.txt": cannot read an included file: No such file or directory')


def test_pip_api_failing_to_load_is_an_operation_error(
    here: Path, refusal: Refusal, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins  # noqa: PLC0415

    real = builtins.__import__

    def no_pip_api(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("pip_api"):
            raise RuntimeError("no pip in this interpreter")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pip_api)
    refused = refusal("alpha>=1\n", OperationError)
    assert refused.message == (
        f"{here}/requirements.txt: cannot read a hand-written requirements file: pip-api failed "
        "to load (no pip in this interpreter)"
    )
    assert refused.exit_code == 3
