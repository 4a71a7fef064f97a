"""The benchmark runs end to end (smallest size, envsnap only), and the fast parser it led to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from envsnap.environment.distributions import _parse_simple

REPO = Path(__file__).resolve().parent.parent


def _clean_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.mark.integration
def test_bench_runs_end_to_end_on_the_smallest_size(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run.py"),
            "--sizes",
            "10",
            "--repeat",
            "1",
            "--no-peers",
            "--restore-size",
            "0",
            "--workdir",
            str(tmp_path / "cache"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=_clean_environ(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    (env,) = report["envs"]
    assert env["label"] == "synth-10"
    assert env["dists"] == 10
    assert env["files"] > 10 * 4  # module files plus dist-info files
    timings = env["timings"]
    assert {"python -c pass", "envsnap --help", "envsnap freeze"} <= timings.keys()
    for timing in timings.values():
        assert len(timing["runs"]) == 1
        assert timing["median"] == timing["runs"][0] > 0
    # every command of the comparison is either timed or skipped with a reason
    for name in (
        "envsnap check",
        "envsnap check --verify-files",
        "envsnap tree",
        "pip freeze",
        "uv pip freeze",
        "pipdeptree -o freeze",
        "pipdeptree",
        "pip-chill",
    ):
        assert name in timings or env["skipped"][name], name
    assert env["skipped"]["pip freeze"] == "no pip in the env"
    assert env["skipped"]["uv pip freeze"] == "uv unavailable"
    assert "--no-peers: pip, uv, pipdeptree and pip-chill not run" in report["notes"]
    assert "restore" not in report
    assert "| envsnap freeze" in done.stdout
    assert report["table"] == done.stdout.removesuffix("\n")
    # the synthetic env is a real venv whose freeze lists all ten distributions
    lock = (tmp_path / "cache" / "run" / "synth-10.lock.txt").read_text()
    pins = sorted(line for line in lock.splitlines() if "==" in line)
    assert pins == [f"synth-{i:04d}==1.{i % 10}.{i % 7}" for i in range(10)]


LINES = [
    "a",
    "a[]",
    "a [x, y] >= 1.0 , < 2 ; python_version < '3.8'",
    "A.B_C-d[Ex_1]==1.0;extra=='t'",
    "a>=1 ; (python_version<'3' or os_name == 'nt') and extra == 'X_y'",
    "a (>=1.0)",
    'a[x](>=1,<2);extra=="y"',
    "a==1.*",
    "a===foo",
    "a~=1.4",
    "a!=1.0.*",
    "a>=1.0.post1.dev2",
    "a\t>=1",
    "a==1.0+local",
    "Sphinx (>=5.1.1) ; extra == 'dev'",
]
"""Forms the fast path takes: it must give what packaging gives."""

SLOW_LINES = [
    "a @ https://example.invalid/a.whl",
    "a @ https://example.invalid/a.whl ; os_name == 'nt'",
    "a>=1.0,",
]
"""Valid forms the fast path leaves to packaging (URLs, a trailing comma)."""

INVALID_LINES = [
    "a[x,,y]",
    "a[x,]",
    "a>=1.0,,<2",
    "a (>=1.0.*)",
    "a>=1.0 <2",
    "a foo",
    "-a",
    "a;",
    "a ; python_version >= '3.8' and",
    "a ; bogus == '1'",
    "a>=1.0+local",
    "a~=1",
]
"""Invalid forms: the fast path leaves them to packaging, which rejects them."""


@pytest.mark.parametrize("line", LINES)
def test_simple_requirement_parser_matches_packaging(line: str) -> None:
    fast = _parse_simple(line)
    slow = Requirement(line)
    assert fast is not None
    assert (fast.name, fast.url, fast.extras) == (slow.name, slow.url, slow.extras)
    assert str(fast.specifier) == str(slow.specifier)
    assert str(fast.marker) == str(slow.marker)
    assert str(fast) == str(slow)
    assert fast == slow


@pytest.mark.parametrize("line", SLOW_LINES)
def test_simple_requirement_parser_leaves_urls_to_packaging(line: str) -> None:
    assert _parse_simple(line) is None
    assert Requirement(line).name == "a"


@pytest.mark.parametrize("line", INVALID_LINES)
def test_simple_requirement_parser_leaves_invalid_lines_to_packaging(line: str) -> None:
    assert _parse_simple(line) is None
    with pytest.raises(InvalidRequirement):
        Requirement(line)
