"""Field benchmark: envsnap as a user meets it, beside pip and uv, on real envs.

Usage (any Python >= 3.10; real interpreters, never a shim)::

    python bench/field.py                          # envs web, mid, big; 5 reads, 3 restores
    python bench/field.py --quick                  # 3 reads, 1 restore each
    python bench/field.py --envsnap-src ../main    # benchmark another source tree
    python bench/field.py --envs web --no-read     # restore and pylock only
    python bench/field.py --no-restore --baseline ../main   # reads, this tree against main

What "field" means here, unlike ``bench/run.py`` (the lab):

- envsnap is installed with a plain ``pip install SRC`` (not editable) into a
  venv of its own, made fresh on every run from ``--envsnap-src``;
- every command runs with the machine's default pip configuration: ``PIP_*``
  variables and pip's config files are left as they are and no index is
  named, so pip (and envsnap, when it asks pip) sees what a user's shell
  sees. uv does not read pip's configuration and uses its own default index;
- the envs are real venvs built from the package index by their own pip
  (``python -m venv`` + ``pip install NAMES``), once, cached under ``--work``
  (reused while their requirement list is unchanged).

Measured, in one run:

1. reading, per env, medians of ``--repeat`` round-robin runs after one
   warm-up: ``envsnap freeze``, ``envsnap check`` (against the env's own
   freeze), ``envsnap tree``, ``envsnap --help``, the env's own ``pip
   freeze``, ``uv pip freeze --python``, ``pipdeptree --python`` (its tree)
   and ``-o freeze``, ``pip-chill``; ratios envsnap / peer, and each against
   issue 24's budgets; with ``--baseline SRC``, the same freeze, check and
   tree of a second envsnap (another tree, e.g. main) in the same rounds,
   and the ratio to it: a slowdown shows in one run, whatever the load;
2. restoring the ``web`` env from two files, the requirements envsnap froze
   and the same top-level names compiled by ``uv pip compile``, into a fresh
   directory: ``envsnap restore``, ``uv venv && uv pip sync``, ``python -m
   venv && pip install -r``; each command has its own envsnap, uv and pip
   cache directories under ``--work`` (the user's caches are never touched).
   Each run restores into a new directory; a cold run gets new, empty
   caches, a warm run the command's own caches, primed by one untimed run
   of each command and file. Nothing is deleted between timed runs (the
   directories go after each column), pending writes are flushed before
   each run, and each round starts one command later;
3. ``envsnap freeze -o pylock.toml`` of the ``web`` env with no index named:
   exit code, first error line, time.

A command that fails is reported with its exit code and first error line; it
never stops the run. The table goes to stdout, everything (with every run) to
``--json`` (default ``bench/results/field-latest.json``).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
import synth  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

FIELD = "field: machine's default pip configuration, no index named"

WEB = (
    "fastapi",
    "uvicorn[standard]",
    "flask",
    "django",
    "requests",
    "rich",
    "httpx",
    "sqlalchemy",
    "celery",
    "gunicorn",
    "redis",
    "alembic",
)
MID = (
    *WEB,
    "pandas",
    "matplotlib",
    "scipy",
    "boto3",
    "sphinx",
    "pytest",
    "black",
    "mypy",
    "aiohttp",
    "scikit-learn",
    "jsonschema",
    "openpyxl",
    "lxml",
    "beautifulsoup4",
    "sympy",
    "networkx",
    "tqdm",
    "pyarrow",
    "ipython",
    "polars",
    "psycopg[binary]",
    "xlsxwriter",
)
BIG = (
    *MID,
    "jupyter",
    "jupyterlab",
    "dask[complete]",
    "bokeh",
    "plotly",
    "seaborn",
    "statsmodels",
    "xarray",
    "numba",
    "streamlit",
    "gradio",
    "mlflow",
    "langchain",
    "langchain-community",
    "transformers",
    "datasets",
    "google-cloud-storage",
    "google-cloud-bigquery",
    "azure-storage-blob",
    "azure-identity",
    "scrapy",
    "selenium",
    "nltk",
    "pre-commit",
    "tox",
    "nox",
    "poetry",
    "spacy",
    "mkdocs-material",
    "prefect",
)
ENVS: dict[str, tuple[str, ...]] = {"web": WEB, "mid": MID, "big": BIG}
"""Top-level requirements of each env (about 60, 140 and 460 distributions)."""

RESTORE_ENV = "web"
READ_PAIRS = (
    ("envsnap freeze", "pip freeze"),
    ("envsnap freeze", "uv pip freeze"),
    ("envsnap freeze", "pipdeptree"),
    ("envsnap freeze", "pip-chill"),
    ("envsnap check", "pip freeze"),
    ("envsnap check", "uv pip freeze"),
    ("envsnap check", "pipdeptree"),
    ("envsnap check", "pip-chill"),
)
BUDGETS = (
    ("envsnap freeze", "pipdeptree -o freeze", 1.0),
    ("envsnap check", "pipdeptree -o freeze", 1.0),
    ("envsnap tree", "pipdeptree -o freeze", 1.0),
    ("envsnap freeze", "pip freeze", 0.15),
    ("envsnap check", "pip freeze", 0.15),
    ("envsnap tree", "pip freeze", 0.15),
)
"""Issue 24: ``(ours, peer, most ours / peer may be)``, the same run."""
HELP_BUDGET = 0.1
"""Issue 24: seconds ``envsnap --help`` may take."""
BASELINE_PAIRS = tuple((f"envsnap {c}", f"baseline {c}") for c in ("freeze", "check", "tree"))
"""With ``--baseline``: this envsnap against the other one, the same run."""
ENVSNAP_RESTORE = "envsnap restore"
ENVSNAP_BARE = "envsnap restore --without-pip"
"""No pip in the new venv, as ``uv venv`` makes it: the like-for-like row against uv."""
UV_SYNC = "uv venv + uv pip sync"
UV_SEED = "uv venv --seed + uv pip install --no-deps"
"""What a default restore runs (pip seeded, the file installed exactly): its like-for-like row."""
PIP_INSTALL = "venv + pip install -r"
RESTORE_COMMANDS = (ENVSNAP_RESTORE, ENVSNAP_BARE, UV_SEED, UV_SYNC, PIP_INSTALL)
RESTORE_PAIRS = (
    (ENVSNAP_RESTORE, UV_SEED),
    (ENVSNAP_BARE, UV_SYNC),
    (ENVSNAP_RESTORE, PIP_INSTALL),
)
OWN_SHARE = ((ENVSNAP_RESTORE, UV_SEED), (ENVSNAP_BARE, UV_SYNC))
"""envsnap's own share of a restore (start, plan, probe, verify, swap): its time minus
that of the uv commands it runs, measured beside it."""
RESTORE_COLUMNS = ("warm, envsnap file", "warm, uv file", "cold, envsnap file", "cold, uv file")

_ERROR = re.compile(
    r"error|traceback|exception|fatal|cannot|can't|could not|failed|not found|no such|invalid",
    re.IGNORECASE,
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- pure parts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; ``--quick`` fills in smaller repeat counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--envsnap-src",
        type=Path,
        default=REPO,
        metavar="PATH",
        help="source tree to 'pip install' (not editable) [this checkout]",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=HERE / "results" / "field",
        metavar="DIR",
        help="envs, tools, caches and scratch files [bench/results/field]",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=HERE / "results" / "field-latest.json",
        help="write the results here [bench/results/field-latest.json]",
    )
    parser.add_argument(
        "--envs",
        default=",".join(ENVS),
        help=f"comma-separated envs to read [{','.join(ENVS)}]",
    )
    parser.add_argument(
        "--python",
        default=run.base_python(),
        metavar="INTERP",
        help="base interpreter of every venv [the one running this script]",
    )
    parser.add_argument("--repeat", type=int, help="timed reads per command, after a warm-up [5]")
    parser.add_argument(
        "--restore-repeat", type=int, help="timed restores per command and column [3]"
    )
    parser.add_argument("--quick", action="store_true", help="3 reads and 1 restore each")
    parser.add_argument("--no-read", action="store_true", help="skip the reading benchmark")
    parser.add_argument("--no-restore", action="store_true", help="skip restore and pylock")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also time freeze, check and tree of envsnap installed from SRC (another "
        "tree, e.g. main), in the same rounds",
    )
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.restore_repeat = args.restore_repeat or (1 if args.quick else 3)
    args.envs = [name for name in args.envs.split(",") if name]
    unknown = [name for name in args.envs if name not in ENVS]
    if unknown:
        parser.error(f"--envs: unknown {', '.join(unknown)} (choose from {', '.join(ENVS)})")
    return args


def first_error_line(text: str) -> str:
    """Return the line of a failed command's output that says what went wrong.

    The first line that reads like an error, else the last line. pip's
    ``WARNING: Location ... is ignored`` lines (one per project and local
    index on this machine) are passed over.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("WARNING:")] or lines
    for line in useful:
        if _ERROR.search(line):
            return line[:240]
    return useful[-1][:240] if useful else ""


def ratio(ours: float | None, peer: float | None) -> float | None:
    """Return ``ours / peer``, or None when either is missing or the peer took no time."""
    if ours is None or peer is None or peer <= 0:
        return None
    return ours / peer


def ratios(
    medians: Mapping[str, float], pairs: Iterable[tuple[str, str]]
) -> dict[str, float | None]:
    """Return ``{"ours / peer": ratio}`` for each pair, from ``{command: median seconds}``."""
    return {f"{a} / {b}": ratio(medians.get(a), medians.get(b)) for a, b in pairs}


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    """Render a Markdown table, first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "| " + " | ".join([first, *rest]) + " |"

    rule = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
    return [line(head), rule + "|", *(line(r) for r in rows)]


def _median(entry: object) -> float | None:
    if isinstance(entry, dict) and isinstance(entry.get("median"), (int, float)):
        return float(entry["median"])
    return None


def render(report: Mapping[str, object]) -> str:
    """Render the human tables of a report (the JSON written by :func:`main`)."""
    out: list[str] = []
    src = report.get("envsnap", {})
    assert isinstance(src, dict)
    out.append(
        f"Field benchmark, {report.get('date', '?')}: envsnap {src.get('version', '?')} "
        f"from {src.get('src', '?')} at {src.get('commit', '?')} ({src.get('install', '')})"
    )
    out.append(f"{FIELD}; Python {report.get('python', '?')}")
    if deps := src.get("dependencies"):
        out.append("envsnap's dependencies: " + ", ".join(f"{n} {v}" for n, v in deps.items()))
    baseline = report.get("baseline")
    if isinstance(baseline, dict):
        out.append(
            f"baseline: envsnap from {baseline.get('src', '?')} at {baseline.get('commit', '?')}"
        )
    envs = report.get("envs") or []
    assert isinstance(envs, list)
    if envs:
        heads = [f"{e['label']} ({e['dists']})" for e in envs]
        names: list[str] = []
        for e in envs:
            names.extend(n for n in [*e["timings"], *e["failed"]] if n not in names)
        rows = []
        for name in names:
            cells = []
            for e in envs:
                if name in e["failed"]:
                    cells.append("failed")
                else:
                    cells.append(fmt_seconds(_median(e["timings"].get(name))))
            rows.append([name, *cells])
        out += ["", "### Reading an environment: median wall seconds", ""]
        out += md_table(["command", *heads], rows)
        pairs = [f"{a} / {b}" for a, b in READ_PAIRS]
        rows = [[p, *(fmt_ratio(e["ratios"].get(p)) for e in envs)] for p in pairs]
        out += ["", "### Ratios envsnap / peer (lower is better; < 1: envsnap is faster)", ""]
        out += md_table(["ratio", *heads], rows)
        codes = ", ".join(f"{e['label']} {e.get('check_exit', '-')}" for e in envs)
        out += ["", f"`envsnap check` against the env's own freeze, exit code: {codes}"]
        out += render_budgets(envs, heads)
    restore = report.get("restore")
    if isinstance(restore, dict):
        out += [
            "",
            f"### Restore of {restore['env']} ({restore['dists']} dists): median wall seconds",
            "",
        ]
        columns = restore["columns"]
        rows = []
        for name in RESTORE_COMMANDS:
            cells = []
            for col in RESTORE_COLUMNS:
                got = columns.get(col, {})
                if name in got.get("failed", {}):
                    cells.append("failed")
                else:
                    cells.append(fmt_seconds(_median(got.get("timings", {}).get(name))))
            rows.append([name, *cells])
        out += md_table(["command", *RESTORE_COLUMNS], rows)
        rows = [
            [
                p,
                *(
                    fmt_ratio(columns.get(col, {}).get("ratios", {}).get(p))
                    for col in RESTORE_COLUMNS
                ),
            ]
            for p in (f"{a} / {b}" for a, b in RESTORE_PAIRS)
        ]
        out += [""]
        out += md_table(["restore ratio", *RESTORE_COLUMNS], rows)
        rows = [
            [
                f"{a} - {b}",
                *(
                    fmt_seconds(columns.get(col, {}).get("own_share", {}).get(f"{a} - {b}"))
                    for col in RESTORE_COLUMNS
                ),
            ]
            for a, b in OWN_SHARE
        ]
        out += ["", "envsnap's own share (its median minus the uv commands it runs, seconds):", ""]
        out += md_table(["own share", *RESTORE_COLUMNS], rows)
        files = restore.get("files", {})
        out += [""] + [f"- {label}: {desc}" for label, desc in files.items()]
    pylock = report.get("pylock")
    if isinstance(pylock, dict):
        if pylock.get("exit") == 0:
            said = f"succeeded, {fmt_seconds(pylock.get('seconds'))} s"
            if pylock.get("packages") is not None:
                said += f", {pylock['packages']} packages"
        else:
            said = f"FAILED, exit {pylock.get('exit')}: {pylock.get('error', '')}"
            if pylock.get("seconds") is not None:
                said += f" ({fmt_seconds(pylock['seconds'])} s)"
        out += [
            "",
            f"`envsnap freeze -o pylock.toml` of {pylock.get('env')}, no index named: {said}",
        ]
    failures = [
        f"{e['label']}: {name}: {why}" for e in envs for name, why in e.get("failed", {}).items()
    ]
    if isinstance(restore, dict):
        for col, got in restore["columns"].items():
            failures += [f"restore {col}: {n}: {why}" for n, why in got.get("failed", {}).items()]
    notes = [*report.get("notes", []), *failures]  # type: ignore[misc]
    if notes:
        out += ["", "Notes:", *(f"- {n}" for n in notes)]
    return "\n".join(out) + "\n"


def render_budgets(envs: Sequence[Mapping[str, Any]], heads: list[str]) -> list[str]:
    """Render issue 24's budgets (and the baseline ratios, when timed) as tables.

    Each cell is the ratio of this run and ``ok`` or ``over``; ``-`` when a
    command was not timed.
    """

    def mark(value: float | None, most: float, fmt: Callable[[float | None], str]) -> str:
        return "-" if value is None else f"{fmt(value)} {'ok' if value <= most else 'over'}"

    rows = [
        [
            f"{a} / {b} <= {most:g}",
            *(mark(e["ratios"].get(f"{a} / {b}"), most, fmt_ratio) for e in envs),
        ]
        for a, b, most in BUDGETS
    ]
    help_row = [f"envsnap --help <= {HELP_BUDGET:g} s"]
    help_row += [
        mark(_median(e["timings"].get("envsnap --help")), HELP_BUDGET, fmt_seconds) for e in envs
    ]
    out = ["", "### Against issue 24's budgets (ratios of this run)", ""]
    out += md_table(["budget", *heads], [*rows, help_row])
    if any(e["ratios"].get(f"{a} / {b}") is not None for e in envs for a, b in BASELINE_PAIRS):
        rows = [
            [f"{a} / {b}", *(fmt_ratio(e["ratios"].get(f"{a} / {b}")) for e in envs)]
            for a, b in BASELINE_PAIRS
        ]
        out += ["", "### Against the baseline (this run; > 1: slower than the baseline)", ""]
        out += md_table(["ratio", *heads], rows)
    return out


# --------------------------------------------------------------------------- running


def field_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return os.environ for a field run: pip's settings kept, an active venv dropped.

    ``PYTHONDONTWRITEBYTECODE`` goes too (set on this machine, not on a
    user's): with it every run would compile the tools' sources again.
    """
    drop = {
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONDONTWRITEBYTECODE",
        "ENVSNAP_PYTHON",
        "ENVSNAP_CACHE_DIR",
        "CONDA_PREFIX",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra or {})
    return env


@dataclass(slots=True)
class Failure:
    """A command that failed: its exit code (None if it could not start) and why."""

    exit: int | None
    line: str

    def __str__(self) -> str:
        return f"exit {self.exit}: {self.line}" if self.exit is not None else self.line


def run_once(argv: list[str], *, env: Mapping[str, str], cwd: Path) -> tuple[float, Failure | None]:
    """Run a command once, output captured: (wall seconds, a Failure or None)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        return time.perf_counter() - start, Failure(None, f"{argv[0]}: {exc}")
    elapsed = time.perf_counter() - start
    if done.returncode:
        return elapsed, Failure(done.returncode, first_error_line(done.stderr + done.stdout))
    return elapsed, None


def time_reads(
    cmds: dict[str, list[str]], *, repeat: int, env: dict[str, str], cwd: Path, label: str
) -> tuple[dict[str, run.Timing], dict[str, str]]:
    """Time reading commands round-robin with ``run.time_commands``; failures explained."""
    ok = {name: (0, 1) for name in cmds if name.endswith(" check")}  # 1: drift found

    def show(name: str, outcome: run.Timing | str) -> None:
        shown = f"{outcome.median:.3f} s" if isinstance(outcome, run.Timing) else "failed"
        log(f"  {label:>5}  {name:<16} {shown}")

    timings: dict[str, run.Timing] = {}
    failed: dict[str, str] = {}
    outcomes = run.time_commands(cmds, repeat=repeat, cwd=cwd, ok=ok, on_done=show, env=env)
    for name, outcome in outcomes.items():
        if isinstance(outcome, run.Timing):
            timings[name] = outcome
        else:
            _, why = run_once(cmds[name], env=env, cwd=cwd)
            failed[name] = str(why) if why else outcome
    return timings, failed


def time_steps_round_robin(
    names: Sequence[str],
    *,
    repeat: int,
    prepare: Callable[[str], tuple[list[list[str]], Mapping[str, str]]],
    cwd: Path,
) -> tuple[dict[str, run.Timing], dict[str, str]]:
    """Time multi-step commands (venv, then install) round-robin, no warm-up.

    ``prepare(name)`` gives one run of command ``name``: its steps and its
    environment, with a target (and, for a cold run, caches) no run used
    before, so nothing is deleted between timed runs: deleting a venv is
    file-system work that would be charged to whichever command runs next
    (pip's venv holds real copies, uv's and envsnap's hard links). Pending
    writes are flushed (``sync``) before each run, outside the timing. Each
    round starts one command later, so no command always follows the same
    one. A command that fails once is dropped, with its exit code and first
    error line.
    """
    runs: dict[str, list[float]] = {name: [] for name in names}
    failed: dict[str, str] = {}
    for round_number in range(repeat):
        shift = round_number % len(names)
        for name in [*names[shift:], *names[:shift]]:
            if name in failed:
                continue
            steps, env = prepare(name)
            os.sync()
            total = 0.0
            for argv in steps:
                seconds, why = run_once(argv, env=env, cwd=cwd)
                total += seconds
                if why:
                    failed[name] = f"{' '.join(Path(a).name for a in argv[:3])}: {why}"
                    break
            if name in failed:
                log(f"    {name:<24} failed: {failed[name]}")
            else:
                runs[name].append(total)
                log(f"    {name:<24} {total:.2f} s")
    timings = {
        name: run.Timing(median=statistics.median(values), runs=[round(v, 3) for v in values])
        for name, values in runs.items()
        if values and name not in failed
    }
    return timings, failed


def git_describe(src: Path) -> str:
    """Return ``<short commit>`` of a source tree, ``+dirty`` when it has changes."""
    head = subprocess.run(
        ["git", "-C", str(src), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if head.returncode:
        return "not a git checkout"
    dirty = subprocess.run(
        ["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def install_envsnap(
    src: Path, work: Path, base: str, *, name: str = "envsnap-venv"
) -> tuple[Path, dict[str, Any]]:
    """Make ``work/NAME`` afresh and ``pip install SRC`` into it (not editable).

    Returns the venv and what was installed: source, commit, version, and the
    versions of envsnap's dependencies that pip chose (a slower release of
    one of them changes every number).
    """
    venv = work / name
    shutil.rmtree(venv, ignore_errors=True)
    log(f"installing envsnap from {src} into {venv} (pip install, not editable) ...")
    env = field_environ()
    for argv in (
        [base, "-m", "venv", str(venv)],
        [str(synth.venv_python(venv)), "-m", "pip", "install", "-q", str(src)],
    ):
        _, why = run_once(argv, env=env, cwd=work)
        if why:
            raise SystemExit(f"cannot install envsnap from {src}: {why}")
    python = synth.venv_python(venv)
    probe = subprocess.run(
        [str(python), "-c", "import envsnap; print(envsnap.__version__)"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    info: dict[str, Any] = {
        "src": str(src),
        "commit": git_describe(src),
        "version": probe.stdout.strip() or "?",
        "install": "pip install SRC, not editable",
        "dependencies": installed_versions(python, ("click", "packaging")),
    }
    return venv, info


def installed_versions(python: Path, names: Sequence[str]) -> dict[str, str]:
    """Return ``{name: version}`` of the distributions ``python`` has (``?``: not found)."""
    script = (
        "import sys\nfrom importlib.metadata import version, PackageNotFoundError\n"
        "for name in sys.argv[1:]:\n"
        "    try: print(name, version(name))\n"
        "    except PackageNotFoundError: print(name, '?')\n"
    )
    done = subprocess.run(
        [str(python), "-c", script, *names],
        capture_output=True,
        text=True,
        check=False,
        env=field_environ(),
    )
    found = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return {name: found.get(name, "?") for name in names}


def envsnap_cache_variable(python: Path) -> str:
    """The environment variable that moves envsnap's cache (asked of the installed envsnap)."""
    for module in ("envsnap.index.file_cache", "envsnap.cache", "envsnap.index.cache"):
        probe = subprocess.run(
            [str(python), "-c", f"from {module} import CACHE_ENV; print(CACHE_ENV)"],
            capture_output=True,
            text=True,
            check=False,
            env=field_environ(),
        )
        if probe.returncode == 0 and probe.stdout.strip():
            return probe.stdout.strip()
    return "ENVSNAP_CACHE_DIR"


def ensure_env(label: str, requirements: tuple[str, ...], work: Path, base: str) -> Path:
    """Build ``work/env-LABEL`` with its own pip from the package index, once.

    Reused while ``.field-requirements.txt`` in it lists the same requirements
    and its ``pyvenv.cfg`` names the same base interpreter's directory.
    Raises RuntimeError with pip's first error line when the build fails.
    """
    venv = work / f"env-{label}"
    stamp = venv / ".field-requirements.txt"
    wanted = "".join(f"{r}\n" for r in requirements)
    if stamp.exists() and stamp.read_text() == wanted and _venv_home(venv) == _home(base):
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    log(f"building env {label} ({len(requirements)} top-level) with pip from the index ...")
    env = field_environ()
    for argv in (
        [base, "-m", "venv", str(venv)],
        [str(synth.venv_python(venv)), "-m", "pip", "install", "-q", *requirements],
    ):
        seconds, why = run_once(argv, env=env, cwd=work)
        if why:
            raise RuntimeError(f"env {label}: {why}")
    log(f"  built in {seconds:.0f} s")
    stamp.write_text(wanted)
    return venv


def _home(base: str) -> Path:
    return Path(base).resolve().parent


def _venv_home(venv: Path) -> Path | None:
    """The ``home`` directory ``pyvenv.cfg`` names (the base interpreter's), or None."""
    cfg = venv / "pyvenv.cfg"
    if not cfg.exists():
        return None
    for line in cfg.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "home":
            return Path(value.strip()).resolve()
    return None


@dataclass(slots=True)
class Peers:
    """The peer commands (from ``run.prepare_tools``) and this run's envsnap."""

    envsnap: str
    uv: str | None
    pipdeptree: str | None
    pip_chill_dir: Path | None
    notes: list[str] = field(default_factory=list)
    baseline: str | None = None
    """The envsnap command installed from ``--baseline SRC``."""


def read_commands(peers: Peers, venv: Path, lock: Path) -> dict[str, list[str]]:
    """The reading commands timed on one env (the peers that are installed)."""
    python = str(synth.venv_python(venv))
    cmds = {
        "python -c pass": [python, "-c", "pass"],
        "envsnap freeze": [peers.envsnap, "freeze", "-p", str(venv)],
        "envsnap check": [peers.envsnap, "check", str(lock), "-p", str(venv)],
        "envsnap tree": [peers.envsnap, "tree", "-p", str(venv)],
        "envsnap --help": [peers.envsnap, "--help"],
        "pip freeze": [python, "-m", "pip", "freeze"],
    }
    if peers.baseline:
        cmds["baseline freeze"] = [peers.baseline, "freeze", "-p", str(venv)]
        cmds["baseline check"] = [peers.baseline, "check", str(lock), "-p", str(venv)]
        cmds["baseline tree"] = [peers.baseline, "tree", "-p", str(venv)]
    if peers.uv:
        cmds["uv pip freeze"] = [peers.uv, "pip", "freeze", "--python", python]
    if peers.pipdeptree:
        cmds["pipdeptree"] = [peers.pipdeptree, "--python", python]
        cmds["pipdeptree -o freeze"] = [peers.pipdeptree, "--python", python, "-o", "freeze"]
    if peers.pip_chill_dir:
        cmds["pip-chill"] = [python, "-c", run._chill_script(peers.pip_chill_dir)]
    return cmds


def bench_read(
    peers: Peers, label: str, venv: Path, *, repeat: int, scratch: Path, env: dict[str, str]
) -> dict[str, object]:
    """Time the reading commands on one env; return its JSON entry."""
    _, _, dists, files, _ = run.real_env(str(venv))
    lock = scratch / f"{label}.freeze.txt"
    entry: dict[str, object] = {"label": label, "path": str(venv), "dists": dists, "files": files}
    _, why = run_once(
        [peers.envsnap, "freeze", "-p", str(venv), "-o", str(lock)], env=env, cwd=scratch
    )
    cmds = read_commands(peers, venv, lock)
    failed: dict[str, str] = {}
    if why:
        failed["envsnap check"] = f"no lock to check: envsnap freeze -o: {why}"
        del cmds["envsnap check"]
        cmds.pop("baseline check", None)
    else:
        done = subprocess.run(
            cmds["envsnap check"], cwd=scratch, env=env, capture_output=True, text=True, check=False
        )
        entry["check_exit"] = done.returncode
        if done.returncode:
            entry["check_first_line"] = first_error_line(done.stdout + done.stderr)
    log(f"reading env {label}: {dists} dists, {files} files")
    timings, more = time_reads(cmds, repeat=repeat, env=env, cwd=scratch, label=label)
    failed.update(more)
    entry["timings"] = {
        n: {"median": round(t.median, 4), "min": min(t.runs), "runs": t.runs}
        for n, t in timings.items()
    }
    entry["failed"] = failed
    entry["ratios"] = {
        k: None if v is None else round(v, 3)
        for k, v in ratios(
            {n: t.median for n, t in timings.items()},
            [*READ_PAIRS, *((a, b) for a, b, _ in BUDGETS), *BASELINE_PAIRS],
        ).items()
    }
    return entry


def _restore_options(envsnap: str, env: dict[str, str], cwd: Path) -> tuple[set[str], str | None]:
    """Return restore's long options and the one that names the base interpreter."""
    done = subprocess.run(
        [envsnap, "restore", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    options = run._long_options(done.stdout)
    base_option = None
    for line in done.stdout.splitlines():
        found = re.search(r"(--[a-z][a-z-]*)\s+\S+\s+.*[Bb]ase interpreter", line)
        if found:
            base_option = found.group(1)
    if base_option is None and "--python" in options:
        base_option = "--python"
    return options, base_option


def bench_restore(
    peers: Peers,
    venv: Path,
    *,
    repeat: int,
    work: Path,
    scratch: Path,
    base: str,
    cache_variable: str,
) -> dict[str, object]:
    """Time restores of the web env from envsnap's and uv's files, cold then warm.

    Returns the JSON entry: the files, and per column (``RESTORE_COLUMNS``)
    the timings, the failures (exit code and first error line) and the ratios.
    """
    _, _, dists, _, _ = run.real_env(str(venv))

    def caches(name: str, cold_run: int | None = None) -> dict[str, Path]:
        # each command has caches of its own, so a cold run of one cannot warm another;
        # a cold run gets new, empty ones (nothing is deleted between timed runs)
        slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
        root = work / "cache" / slug
        if cold_run is not None:
            root = work / "cache-cold" / f"{slug}-{cold_run}"
        return {
            cache_variable: root / "envsnap",
            "UV_CACHE_DIR": root / "uv",
            "PIP_CACHE_DIR": root / "pip",
        }

    names = RESTORE_COMMANDS
    env = field_environ({k: str(v) for k, v in caches(ENVSNAP_RESTORE).items()})
    result: dict[str, object] = {"env": RESTORE_ENV, "dists": dists, "repeat": repeat}
    files: dict[str, str] = {}
    columns: dict[str, dict[str, object]] = {}
    result["files"], result["columns"] = files, columns

    ours = scratch / "requirements.envsnap.txt"
    _, why = run_once(
        [peers.envsnap, "freeze", "-p", str(venv), "-o", str(ours)], env=env, cwd=scratch
    )
    sources: dict[str, Path] = {}
    if why:
        files["envsnap file"] = f"envsnap freeze failed: {why}"
    else:
        sources["envsnap file"] = ours
        files["envsnap file"] = f"`envsnap freeze -o`, {_pins(ours)} pins"
    theirs = scratch / "requirements.uv.txt"
    if peers.uv:
        top_level = scratch / "requirements.in"
        top_level.write_text("".join(f"{r}\n" for r in ENVS[RESTORE_ENV]))
        argv = [peers.uv, "pip", "compile", "-q", str(top_level), "-o", str(theirs)]
        _, why = run_once([*argv, "--python", str(synth.venv_python(venv))], env=env, cwd=scratch)
        if why:
            files["uv file"] = f"uv pip compile failed: {why}"
        else:
            sources["uv file"] = theirs
            files["uv file"] = (
                f"`uv pip compile` of the {len(ENVS[RESTORE_ENV])} top-level names, "
                f"{_pins(theirs)} pins (uv's default index; pip's configuration is not uv's)"
            )
    else:
        files["uv file"] = "uv unavailable"

    options, base_option = _restore_options(peers.envsnap, env, scratch)
    targets = scratch / "restored"
    counter = itertools.count()

    def steps(name: str, lock: Path, target: Path) -> list[list[str]]:
        py = str(synth.venv_python(target))
        if name in {ENVSNAP_RESTORE, ENVSNAP_BARE}:
            argv = [peers.envsnap, "restore", str(lock), "--venv", str(target), "-q"]
            if "--venv" not in options:
                argv = [peers.envsnap, "restore", str(lock), str(target), "-q"]
            bare = ["--without-pip"] if name == ENVSNAP_BARE else []
            return [argv + bare + ([base_option, base] if base_option else [])]
        if name == UV_SYNC:
            return [
                [peers.uv or "uv", "venv", "-q", "--python", base, str(target)],
                [peers.uv or "uv", "pip", "sync", "-q", str(lock), "--python", py],
            ]
        if name == UV_SEED:
            return [
                [peers.uv or "uv", "venv", "-q", "--seed", "--python", base, str(target)],
                [
                    peers.uv or "uv",
                    "pip",
                    "install",
                    "-q",
                    "--no-deps",
                    "-r",
                    str(lock),
                    "--python",
                    py,
                ],
            ]
        return [
            [base, "-m", "venv", str(target)],
            [py, "-m", "pip", "install", "-q", "-r", str(lock)],
        ]

    def one_run(
        lock: Path, *, cold: bool
    ) -> Callable[[str], tuple[list[list[str]], Mapping[str, str]]]:
        def prepare(name: str) -> tuple[list[list[str]], Mapping[str, str]]:
            number = next(counter)
            targets.mkdir(parents=True, exist_ok=True)
            found = caches(name, number if cold else None)
            run_env = field_environ({k: str(v) for k, v in found.items()})
            return steps(name, lock, targets / str(number)), run_env

        return prepare

    def clean_up() -> None:  # outside the timing
        for path in (targets, work / "cache-cold"):
            shutil.rmtree(path, ignore_errors=True)
        os.sync()

    commands = [
        n
        for n in names
        if (n not in {UV_SYNC, UV_SEED} or peers.uv)
        and (n != ENVSNAP_BARE or "--without-pip" in options)
    ]
    clean_up()
    # the warm caches are primed by one untimed run of each command and file
    log(f"restore {RESTORE_ENV}: priming the warm caches (untimed) ...")
    for lock in sources.values():
        prepare = one_run(lock, cold=False)
        for name in commands:
            argv_list, run_env = prepare(name)
            for argv in argv_list:
                if run_once(argv, env=run_env, cwd=scratch)[1]:
                    break
    clean_up()
    for column in RESTORE_COLUMNS:
        temperature, _, which = column.partition(", ")
        source = sources.get(which)
        if source is None:
            columns[column] = {"timings": {}, "failed": {}, "ratios": {}}
            continue
        log(f"restore {RESTORE_ENV}, {column}:")
        timings, failed = time_steps_round_robin(
            commands,
            repeat=repeat,
            prepare=one_run(source, cold=temperature == "cold"),
            cwd=scratch,
        )
        clean_up()
        medians = {n: t.median for n, t in timings.items()}
        columns[column] = {
            "timings": {
                n: {"median": round(t.median, 3), "runs": t.runs} for n, t in timings.items()
            },
            "failed": failed,
            "ratios": {
                k: None if v is None else round(v, 3)
                for k, v in ratios(medians, RESTORE_PAIRS).items()
            },
            "own_share": {
                f"{ours} - {peer}": round(medians[ours] - medians[peer], 3)
                for ours, peer in OWN_SHARE
                if medians.get(ours) is not None and medians.get(peer) is not None
            },
        }
    result["caches"] = {n: {k: str(v) for k, v in caches(n).items()} for n in names}
    return result


def _pins(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if re.match(r"[A-Za-z0-9].*==", line))


def bench_pylock(
    peers: Peers, venv: Path, *, repeat: int, scratch: Path, env: dict[str, str]
) -> dict[str, object]:
    """``envsnap freeze -o pylock.toml`` of the env, no index named: exit, error, time."""
    out = scratch / "pylock.toml"
    argv = [peers.envsnap, "freeze", "-p", str(venv), "-o", str(out)]
    result: dict[str, object] = {"env": RESTORE_ENV, "command": "envsnap freeze -o pylock.toml"}
    seconds, why = run_once(argv, env=env, cwd=scratch)
    if why:
        result.update(exit=why.exit, error=why.line, seconds=round(seconds, 3))
        return result
    runs = [seconds]
    for _ in range(repeat):
        again, why = run_once(argv, env=env, cwd=scratch)
        if why:
            result.update(exit=why.exit, error=f"on a later run: {why.line}")
            return result
        runs.append(again)
    result.update(
        exit=0,
        seconds=round(statistics.median(runs), 3),
        runs=[round(r, 3) for r in runs],
        packages=out.read_text().count("[[packages]]"),
    )
    return result


def prepare_peers(work: Path, envsnap_venv: Path) -> Peers:
    """Install uv, pipdeptree and pip-chill (``run.prepare_tools``) and name this envsnap."""
    (work / "peers").mkdir(exist_ok=True)
    tools = run.prepare_tools(work / "peers", use_peers=True)
    notes = [n for n in tools.notes if "pip wheel" not in n and not n.startswith("envsnap ")]
    return Peers(
        envsnap=str(envsnap_venv / "bin" / "envsnap"),
        uv=tools.uv,
        pipdeptree=tools.pipdeptree,
        pip_chill_dir=tools.pip_chill_dir,
        notes=notes,
    )


def pip_configuration(base: str) -> list[str]:
    """``pip config list`` as this run sees it (the field's configuration)."""
    done = subprocess.run(
        [base, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        env=field_environ(),
        check=False,
    )
    return done.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    scratch = work / "run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    base = args.python
    envsnap_venv, info = install_envsnap(args.envsnap_src.resolve(), work, base)
    peers = prepare_peers(work, envsnap_venv)
    baseline: dict[str, Any] | None = None
    if args.baseline is not None:
        baseline_venv, baseline = install_envsnap(
            args.baseline.resolve(), work, base, name="baseline-venv"
        )
        peers.baseline = str(baseline_venv / "bin" / "envsnap")
    env = field_environ()
    report: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "field": FIELD,
        "python": subprocess.run(
            [base, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
        "machine": run.machine(),
        "envsnap": info,
        "baseline": baseline,
        "pip_config": pip_configuration(base),
        "repeat": args.repeat,
        "restore_repeat": args.restore_repeat,
    }
    notes: list[str] = [
        "PIP_* variables and pip's config files as this machine has them "
        "(`pip config list` is in the JSON); uv reads neither",
        *peers.notes,
    ]
    built: dict[str, Path] = {}
    wanted = list(dict.fromkeys([*args.envs, *([] if args.no_restore else [RESTORE_ENV])]))
    for label in wanted:
        try:
            built[label] = ensure_env(label, ENVS[label], work, base)
        except RuntimeError as exc:
            notes.append(f"env {label} not built: {exc}")

    def guarded(what: str, step: Callable[[], dict[str, object]]) -> dict[str, object] | None:
        # a bug of this script in one part must not lose the others' numbers
        try:
            return step()
        except Exception as exc:
            traceback.print_exc()
            notes.append(f"{what}: not measured, bench/field.py failed: {exc!r}")
            return None

    envs = []
    for label in [] if args.no_read else args.envs:
        if label in built:
            entry = guarded(
                f"reading {label}",
                functools.partial(
                    bench_read,
                    peers,
                    label,
                    built[label],
                    repeat=args.repeat,
                    scratch=scratch,
                    env=env,
                ),
            )
            envs += [entry] if entry else []
    report["envs"] = envs
    if not args.no_restore and RESTORE_ENV in built:
        venv = built[RESTORE_ENV]
        report["pylock"] = guarded(
            "pylock",
            lambda: bench_pylock(peers, venv, repeat=min(args.repeat, 2), scratch=scratch, env=env),
        )
        report["restore"] = guarded(
            "restore",
            lambda: bench_restore(
                peers,
                venv,
                repeat=args.restore_repeat,
                work=work,
                scratch=scratch,
                base=base,
                cache_variable=envsnap_cache_variable(synth.venv_python(envsnap_venv)),
            ),
        )
    report["notes"] = notes
    report["elapsed"] = round(time.perf_counter() - started, 1)
    notes.append(f"one run took {report['elapsed']:.0f} s")
    notes.append(
        f"machine load (1-min average) {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores"
    )
    text = render(report)
    report["table"] = text
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {args.json} ({report['elapsed']} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
