"""The benchmark runs end to end (smallest size, envsnap only), and the fast parser it led to."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from envsnap.environment.requirements import parse_simple

if TYPE_CHECKING:
    from types import ModuleType

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
    fast = parse_simple(line)
    slow = Requirement(line)
    assert fast is not None
    assert (fast.name, fast.url, fast.extras) == (slow.name, slow.url, slow.extras)
    assert str(fast.specifier) == str(slow.specifier)
    assert str(fast.marker) == str(slow.marker)
    assert str(fast) == str(slow)
    assert fast == slow


@pytest.mark.parametrize("line", SLOW_LINES)
def test_simple_requirement_parser_leaves_urls_to_packaging(line: str) -> None:
    assert parse_simple(line) is None
    assert Requirement(line).name == "a"


@pytest.mark.parametrize("line", INVALID_LINES)
def test_simple_requirement_parser_leaves_invalid_lines_to_packaging(line: str) -> None:
    assert parse_simple(line) is None
    with pytest.raises(InvalidRequirement):
        Requirement(line)


# --------------------------------------------------------------------------- bench/field.py


def _load_field() -> ModuleType:
    """Import bench/field.py (it puts bench/ on sys.path for its own imports)."""
    spec = importlib.util.spec_from_file_location("bench_field", REPO / "bench" / "field.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


field = _load_field()


def test_field_arguments_default_and_quick() -> None:
    args = field.parse_args([])
    assert (args.repeat, args.restore_repeat) == (5, 3)
    assert args.envs == ["web", "mid", "big"]
    assert args.envsnap_src == REPO
    assert args.work == REPO / "bench" / "results" / "field"
    assert args.json == REPO / "bench" / "results" / "field-latest.json"
    assert not (args.quick or args.no_read or args.no_restore)

    args = field.parse_args(
        ["--quick", "--envs", "web,big", "--envsnap-src", "/src", "--work", "/w", "--repeat", "7"]
    )
    assert (args.repeat, args.restore_repeat) == (7, 1)
    assert args.envs == ["web", "big"]
    assert (args.envsnap_src, args.work) == (Path("/src"), Path("/w"))


def test_field_arguments_refuse_an_unknown_env(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        field.parse_args(["--envs", "web,huge"])
    assert exc.value.code == 2
    assert "--envs: unknown huge (choose from web, mid, big)" in capsys.readouterr().err


def test_field_ratios() -> None:
    medians = {"envsnap freeze": 0.3, "pip freeze": 1.2, "uv pip freeze": 0.0}
    got = field.ratios(
        medians,
        [
            ("envsnap freeze", "pip freeze"),
            ("envsnap freeze", "uv pip freeze"),
            ("envsnap check", "pip freeze"),
        ],
    )
    assert got == {
        "envsnap freeze / pip freeze": 0.25,
        "envsnap freeze / uv pip freeze": None,  # a peer that took no time gives no ratio
        "envsnap check / pip freeze": None,  # a command that was not timed gives none either
    }


def test_field_first_error_line_skips_pip_location_warnings() -> None:
    text = (
        "WARNING: Location 'file:///opt/x/simple/a/' is ignored: it is neither a file nor a "
        "directory.\n"
        "Collecting a==1.0\n"
        "ERROR: No matching distribution found for a==1.0\n"
        "error: later line\n"
    )
    assert field.first_error_line(text) == "ERROR: No matching distribution found for a==1.0"
    assert field.first_error_line("\nfirst\nlast one\n") == "last one"
    assert field.first_error_line("") == ""


def test_field_render_tables() -> None:
    timing = {"median": 0.5, "runs": [0.5]}
    report = {
        "date": "2026-11-26 14:00 UTC",
        "python": "3.12.1",
        "envsnap": {"src": "/src", "commit": "abc1234", "version": "0.1.0", "install": "pip"},
        "envs": [
            {
                "label": "web",
                "dists": 58,
                "timings": {"envsnap freeze": timing, "pip freeze": {"median": 2.0}},
                "failed": {"pipdeptree": "exit 1: boom"},
                "ratios": {"envsnap freeze / pip freeze": 0.25},
                "check_exit": 0,
            }
        ],
        "restore": {
            "env": "web",
            "dists": 58,
            "files": {"envsnap file": "`envsnap freeze -o`, 57 pins"},
            "columns": {
                "warm, envsnap file": {
                    "timings": {
                        "envsnap restore": {"median": 12.5},
                        "envsnap restore --without-pip": {"median": 9.0},
                        "uv venv --seed + uv pip install --no-deps": {"median": 0.6},
                        "uv venv + uv pip sync": {"median": 0.5},
                    },
                    "failed": {"venv + pip install -r": "exit 1: ERROR: no"},
                    "ratios": {
                        "envsnap restore / uv venv --seed + uv pip install --no-deps": 20.83,
                        "envsnap restore --without-pip / uv venv + uv pip sync": 18.0,
                    },
                    "own_share": {
                        "envsnap restore - uv venv --seed + uv pip install --no-deps": 11.9,
                        "envsnap restore --without-pip - uv venv + uv pip sync": 8.5,
                    },
                }
            },
        },
        "pylock": {"env": "web", "exit": 3, "error": "3 packages not found", "seconds": 1.25},
        "notes": ["a note"],
    }
    text = field.render(report)
    assert text.startswith(
        "Field benchmark, 2026-11-26 14:00 UTC: envsnap 0.1.0 from /src at abc1234 (pip)\n"
        "field: machine's default pip configuration, no index named; Python 3.12.1\n"
    )
    assert (
        "| command        | web (58) |\n"
        "|----------------|---------:|\n"
        "| envsnap freeze |    0.500 |\n"
        "| pip freeze     |    2.000 |\n"
        "| pipdeptree     |   failed |\n"
    ) in text
    assert "| envsnap freeze / pip freeze    |     0.25 |\n" in text
    assert "| envsnap check / pip freeze     |        - |\n" in text
    assert "`envsnap check` against the env's own freeze, exit code: web 0\n" in text
    assert (
        "| envsnap restore                           |               12.5 |             - |"
        "                  - |             - |\n"
        "| envsnap restore --without-pip             |              9.000 |             - |"
        "                  - |             - |\n"
        "| uv venv --seed + uv pip install --no-deps |              0.600 |             - |"
        "                  - |             - |\n"
        "| uv venv + uv pip sync                     |              0.500 |             - |"
        "                  - |             - |\n"
        "| venv + pip install -r                     |             failed |             - |"
        "                  - |             - |\n"
    ) in text
    assert (
        "| envsnap restore / uv venv --seed + uv pip install --no-deps |              20.83 |"
    ) in text
    assert (
        "| envsnap restore --without-pip / uv venv + uv pip sync       |              18.00 |"
    ) in text
    assert (
        "| envsnap restore - uv venv --seed + uv pip install --no-deps |               11.9 |"
    ) in text
    assert (
        "`envsnap freeze -o pylock.toml` of web, no index named: "
        "FAILED, exit 3: 3 packages not found (1.250 s)\n"
    ) in text
    assert text.endswith(
        "Notes:\n- a note\n- web: pipdeptree: exit 1: boom\n"
        "- restore warm, envsnap file: venv + pip install -r: exit 1: ERROR: no\n"
    )


def test_field_baseline_argument() -> None:
    assert field.parse_args([]).baseline is None
    assert field.parse_args(["--baseline", "../main"]).baseline == Path("../main")


def test_field_render_budgets_and_baseline() -> None:
    """Issue 24's budgets are marked ok or over; the baseline table shows when it was timed."""
    timings = {
        "envsnap --help": {"median": 0.08},
        "envsnap freeze": {"median": 0.2},
        "pipdeptree -o freeze": {"median": 0.1},
        "pip freeze": {"median": 1.6},
    }
    medians = {name: t["median"] for name, t in timings.items()}
    medians["baseline freeze"] = 0.4
    pairs = [*((a, b) for a, b, _ in field.BUDGETS), *field.BASELINE_PAIRS]
    env = {"label": "big", "dists": 448, "timings": timings, "ratios": field.ratios(medians, pairs)}
    text = "\n".join(field.render_budgets([env], ["big (448)"]))
    assert (
        "| budget                                     | big (448) |\n"
        "|--------------------------------------------|----------:|\n"
        "| envsnap freeze / pipdeptree -o freeze <= 1 | 2.00 over |\n"
        "| envsnap check / pipdeptree -o freeze <= 1  |         - |\n"
        "| envsnap tree / pipdeptree -o freeze <= 1   |         - |\n"
        "| envsnap freeze / pip freeze <= 0.15        |   0.12 ok |\n"
    ) in text
    assert "| envsnap --help <= 0.1 s                    |  0.080 ok |" in text
    assert "| envsnap freeze / baseline freeze |      0.50 |" in text
    env["ratios"] = field.ratios(medians, [(a, b) for a, b, _ in field.BUDGETS])
    assert "baseline" not in "\n".join(field.render_budgets([env], ["big (448)"]))
