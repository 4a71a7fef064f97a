"""The portable requirements reader keeps every pin with its marker (evaluated for the target)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from envsnap.errors import LockFileError
from envsnap.lockfiles.readers import read_lock

if TYPE_CHECKING:
    from pathlib import Path

FILE = """\
# envsnap freeze --portable
# requires-python: <3.14,>=3.10
# python: 3.10, 3.11, 3.12, 3.13
# platforms: linux-x86_64, windows-amd64
# top-level: App
App==1.0
never-here==1.0 ; sys_platform == "win32" and sys_platform != "win32"
tomli==2.0.1 ; python_version < "3.11" \\
    --hash=sha256:{a}
tomli==2.2.1 ; python_version >= "3.11" and python_version < "3.0"
""".format(a="a" * 64)


def test_every_pin_is_kept_with_its_marker(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(FILE, encoding="utf-8")
    lock = read_lock(path)
    assert lock.requires_python == SpecifierSet(">=3.10,<3.14")
    assert lock.python_version is None
    assert lock.complete
    assert [(p.name, str(p.version), p.marker, p.top_level) for p in lock.packages] == [
        ("app", "1.0", None, True),
        ("never-here", "1.0", Marker('sys_platform == "win32" and sys_platform != "win32"'), False),
        ("tomli", "2.0.1", Marker('python_version < "3.11"'), False),
        ("tomli", "2.2.1", Marker('python_version >= "3.11" and python_version < "3.0"'), False),
    ]
    assert lock.packages[2].hashes == ("sha256:" + "a" * 64,)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("alpha>=1.0", "requirements.txt:6: not a pin of a portable file: alpha>=1.0"),
        ("alpha==1.0 --no-deps", "requirements.txt:6: not a pin of a portable file"),
        ("-e ./proj", "requirements.txt:6: not a pin of a portable file"),
        (
            "alpha==1.0 ; python_version >",
            "requirements.txt:6: not a requirement: Expected a marker variable or quoted string",
        ),
    ],
)
def test_a_line_it_does_not_write_is_refused(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(FILE.split("App==1.0")[0] + line + "\n", encoding="utf-8")
    with pytest.raises(LockFileError) as caught:
        read_lock(path)
    assert message in caught.value.message
    assert "\n" not in caught.value.message
