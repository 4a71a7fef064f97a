"""Benchmark envsnap beside its peers: read an env (freeze/check/tree) and restore one.

Usage (from a clone, with a Python >= 3.10 that has ``installer``:
``pip install -e .``)::

    python bench/run.py                        # sizes 10,100,500,2000, 5 runs each
    python bench/run.py --quick                # sizes 10,100, 3 runs
    python bench/run.py --env ~/proj/.venv     # add a real environment
    python bench/run.py --sizes 10,500 --repeat 7 --json out.json

What it does, all in one run so the numbers compare:

1. builds synthetic wheels (``bench/synth.py``) and venvs of each size from
   them (``--without-pip`` venvs, wheels unpacked with ``installer``, then
   pip's own wheel so that ``pip freeze`` runs inside the env as a user runs it);
2. makes a tools venv with the peers (``uv``, ``pipdeptree``,
   ``pip-chill``), installed with the host pip and the machine's normal pip
   configuration, so it works offline where that configuration points to a
   local mirror; a peer that cannot be installed is skipped and named;
3. times every command with the real interpreters (``sys.executable`` and the
   venvs' ``bin/python``, never a shim): one warm-up each, then ``--repeat``
   rounds over all commands (round-robin), median wall time; a command of
   envsnap that this version lacks (``check``, ``tree``, ``restore``) is
   skipped with a note;
4. times restore of the ``--restore-size`` env's lock file (warm caches):
   ``envsnap restore`` vs ``python -m venv && pip install -r`` vs
   ``uv venv && uv pip sync``, all from the same local wheel directory;
5. prints the medians, the ratios envsnap / peer, the growth with env size,
   and writes all of it as JSON (default ``bench/results/latest.json``).

Every timed command runs with ``PIP_*``/``UV_*`` variables and
``PYTHONDONTWRITEBYTECODE`` removed and ``PIP_CONFIG_FILE`` set to the null
device, in an empty working directory. docs/performance.md explains the
results; ``--no-peers`` times envsnap alone and needs no package index.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

DEFAULT_SIZES = (10, 100, 500, 2000)
PEERS = ("uv", "pipdeptree", "pip-chill")
READ_RATIOS = (
    ("envsnap freeze", "pip freeze"),
    ("envsnap freeze", "uv pip freeze"),
    ("envsnap freeze", "pipdeptree -o freeze"),
    ("envsnap freeze", "pip-chill"),
    ("envsnap check", "pip freeze"),
    ("envsnap check", "uv pip freeze"),
    ("envsnap check", "pipdeptree -o freeze"),
    ("envsnap check", "pip-chill"),
    ("envsnap tree", "pipdeptree"),
)
RESTORE_RATIOS = (
    ("envsnap restore", "venv + pip install -r"),
    ("envsnap restore", "uv venv + uv pip sync"),
    ("envsnap restore --installer uv", "venv + pip install -r"),
    ("envsnap restore --installer uv", "uv venv + uv pip sync"),
    ("envsnap restore --installer uv --without-pip", "uv venv + uv pip sync"),
    ("envsnap restore --compile", "venv + pip install -r (compile)"),
    ("envsnap restore --compile", "uv venv + uv pip sync --compile"),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def clean_environ() -> dict[str, str]:
    """Return os.environ without pip/uv settings or an active venv, for timed commands."""
    # PYTHONDONTWRITEBYTECODE would make every run compile envsnap's (and the
    # peers') sources again (30-40 ms): an installed tool runs from its .pyc files.
    drop = {
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONDONTWRITEBYTECODE",
        "ENVSNAP_PYTHON",
        "CONDA_PREFIX",
    }
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_")) and k not in drop
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env["UV_NO_PROGRESS"] = "1"
    return env


def base_python() -> str:
    """The interpreter venvs are made from: the real one behind sys.executable."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


# --------------------------------------------------------------------------- tools


@dataclass(slots=True)
class Tools:
    """The commands being compared and why some are missing."""

    envsnap: list[str]
    uv: str | None = None
    pipdeptree: str | None = None
    pip_chill_dir: Path | None = None
    pip_wheel: Path | None = None
    envsnap_commands: set[str] = field(default_factory=set)
    restore_options: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _run_quiet(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def _envsnap_command(tools_dir: Path, use_peers: bool) -> tuple[list[str], list[str]]:
    """Find how to run this checkout's envsnap: the running Python if it has it."""
    probe = _run_quiet(
        [sys.executable, "-c", "import envsnap, sys; sys.stdout.write(envsnap.__file__)"],
        env=clean_environ(),
    )
    src = REPO / "src" / "envsnap"
    if probe.returncode == 0 and Path(probe.stdout).resolve().parent == src.resolve():
        return [sys.executable, "-m", "envsnap"], []
    venv = tools_dir / "envsnap-venv"
    python = synth.venv_python(venv)
    if not python.exists():
        if not use_peers:
            raise SystemExit("envsnap is not importable by this Python; run without --no-peers")
        log(f"installing this checkout of envsnap into {venv} ...")
        subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(REPO)], check=True)
    return [str(python), "-m", "envsnap"], [f"envsnap run from {venv} (editable install)"]


def prepare_tools(cache: Path, *, use_peers: bool) -> Tools:
    """Install the peers into cache/tools (once) and find envsnap."""
    envsnap, notes = _envsnap_command(cache, use_peers)
    tools = Tools(envsnap=envsnap, notes=notes)
    for command in ("check", "tree", "restore"):
        help_run = _run_quiet([*envsnap, command, "--help"], env=clean_environ(), cwd=cache)
        if help_run.returncode == 0:
            tools.envsnap_commands.add(command)
            if command == "restore":
                tools.restore_options = _long_options(help_run.stdout)
        else:
            tools.notes.append(f"envsnap {command}: not in this version of envsnap, skipped")
    if not use_peers:
        tools.notes.append("--no-peers: pip, uv, pipdeptree and pip-chill not run")
        return tools
    venv = cache / "tools"
    python = synth.venv_python(venv)
    stamp = venv / ".bench-tools.json"
    have = json.loads(stamp.read_text()) if stamp.exists() else {}
    if not python.exists():
        log(f"creating the tools venv {venv} (with pip, from the host Python) ...")
        subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
    host_pip = [str(python), "-m", "pip"]
    for peer in PEERS:
        if have.get(peer):
            continue
        log(f"installing {peer} into the tools venv (host pip configuration) ...")
        if peer == "pip-chill":
            # pip-chill reads the running interpreter's env: keep it in a directory
            # of its own that is put on the target interpreter's sys.path.
            target = cache / "pip-chill"
            argv = [*host_pip, "install", "-q", "--no-deps", "--target", str(target), peer]
        else:
            argv = [*host_pip, "install", "-q", peer]
        result = _run_quiet(argv)
        have[peer] = result.returncode == 0
        if not have[peer]:
            tools.notes.append(f"{peer}: could not be installed, skipped ({_last_line(result)})")
    if not have.get("pip-wheel"):
        wheels = cache / "pip-wheel"
        result = _run_quiet(
            [
                *host_pip,
                "download",
                "-q",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-d",
                str(wheels),
                "pip",
            ]
        )
        have["pip-wheel"] = result.returncode == 0
        if not have["pip-wheel"]:
            tools.notes.append(f"pip wheel: could not be fetched ({_last_line(result)})")
    stamp.write_text(json.dumps(have))
    bindir = python.parent
    if have.get("uv") and (bindir / "uv").exists():
        tools.uv = str(bindir / "uv")
    elif shutil.which("uv"):
        tools.uv = shutil.which("uv")
        tools.notes.append(f"uv: using {tools.uv} from PATH")
    if have.get("pipdeptree") and (bindir / "pipdeptree").exists():
        tools.pipdeptree = str(bindir / "pipdeptree")
    if have.get("pip-chill"):
        tools.pip_chill_dir = cache / "pip-chill"
    if have.get("pip-wheel"):
        found = sorted((cache / "pip-wheel").glob("pip-*.whl"))
        tools.pip_wheel = found[-1] if found else None
    if tools.pip_wheel is None:
        tools.notes.append("pip freeze: no pip wheel for the synthetic envs, skipped")
    return tools


def _long_options(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", help_text))


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {result.returncode}"


# --------------------------------------------------------------------------- timing


@dataclass(slots=True)
class Timing:
    median: float
    runs: list[float]


BUDGET = 30.0
"""Seconds one command may take in all: a slow peer gets fewer timed runs (at least 1)."""


def _failure(
    argv: list[str], result: subprocess.CompletedProcess[bytes], ok: tuple[int, ...]
) -> str:
    """Return why a run failed ('' when it did not): bad exit code or a traceback."""
    stderr = result.stderr.decode(errors="replace")
    if result.returncode in ok and "Traceback (most recent call last)" not in stderr:
        return ""
    tail = stderr.strip().splitlines()[-2:]
    return f"{' '.join(argv[:4])} ... exited {result.returncode}: {' | '.join(tail)}"


def _run_once(
    argv: list[str], *, cwd: Path, ok: tuple[int, ...], env: dict[str, str] | None = None
) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=clean_environ() if env is None else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if reason := _failure(argv, result, ok):
        raise RuntimeError(reason)
    return elapsed


def time_commands(
    cmds: dict[str, list[str]],
    *,
    repeat: int,
    cwd: Path,
    ok: Mapping[str, tuple[int, ...]],
    on_done: Callable[[str, Timing | str], None],
    env: dict[str, str] | None = None,
) -> dict[str, Timing | str]:
    """Time commands round-robin: one warm-up each, then ``repeat`` rounds.

    Interleaving the runs spreads a change of machine load over every command
    alike, so the ratios stay fair on a busy machine. A command gets fewer
    rounds when ``repeat`` runs would exceed :data:`BUDGET`; one whose warm-up
    alone exceeds it keeps the warm-up as its only run. Returns a
    :class:`Timing` or the reason of failure, per command. ``env`` replaces
    :func:`clean_environ` (``bench/field.py`` keeps the machine's pip settings).
    """
    runs: dict[str, list[float]] = {}
    rounds: dict[str, int] = {}
    failed: dict[str, str] = {}
    for name, argv in cmds.items():
        try:
            warm = _run_once(argv, cwd=cwd, ok=ok.get(name, (0,)), env=env)
        except (RuntimeError, OSError) as exc:
            failed[name] = f"failed: {exc}"
            on_done(name, failed[name])
            continue
        if warm > BUDGET:
            runs[name], rounds[name] = [warm], 0
        else:
            runs[name], rounds[name] = [], max(1, min(repeat, int(BUDGET / max(warm, 1e-3))))
    for index in range(repeat):
        for name, argv in cmds.items():
            if name in failed or rounds.get(name, 0) <= index:
                continue
            try:
                runs[name].append(_run_once(argv, cwd=cwd, ok=ok.get(name, (0,)), env=env))
            except (RuntimeError, OSError) as exc:
                failed[name] = f"failed: {exc}"
    out: dict[str, Timing | str] = {}
    for name in cmds:
        if name in failed:
            out[name] = failed[name]
        else:
            values = runs[name]
            out[name] = Timing(median=statistics.median(values), runs=[round(r, 4) for r in values])
        on_done(name, out[name])
    return out


def time_sequence(steps: list[list[str]], *, repeat: int, cwd: Path, before: object) -> Timing:
    """Time steps run one after the other (venv, then install): warm-up, then ``repeat`` runs."""
    runs: list[float] = []
    env = clean_environ()
    for i in range(repeat + 1):
        if callable(before):
            before()
        start = time.perf_counter()
        for argv in steps:
            result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
            if reason := _failure(argv, result, (0,)):
                raise RuntimeError(reason)
        elapsed = time.perf_counter() - start
        if i:
            runs.append(elapsed)
    return Timing(median=statistics.median(runs), runs=[round(r, 4) for r in runs])


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class EnvResult:
    label: str
    path: str
    dists: int
    files: int
    timings: dict[str, Timing] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _chill_script(directory: Path) -> str:
    return (
        f"import sys; sys.path.append({str(directory)!r}); sys.argv[0] = 'pip-chill'; "
        "from pip_chill.cli import main; main()"
    )


def read_commands(
    tools: Tools, python: Path, venv: Path, lock: Path, *, has_pip: bool
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Return the env-reading commands to time on one env, and the skipped ones."""
    es = tools.envsnap
    target = ["-p", str(venv)]
    cmds: dict[str, list[str]] = {
        "python -c pass": [str(python), "-c", "pass"],
        "envsnap --help": [*es, "--help"],
        "envsnap freeze": [*es, "freeze", *target],
    }
    skipped: dict[str, str] = {}
    for name, argv in (
        ("envsnap check", [*es, "check", str(lock), *target]),
        ("envsnap check --verify-files", [*es, "check", str(lock), "--verify-files", *target]),
        ("envsnap tree", [*es, "tree", *target]),
    ):
        command = name.split()[1]
        if command in tools.envsnap_commands:
            cmds[name] = argv
        else:
            skipped[name] = f"envsnap {command} does not exist yet"
    if has_pip:
        cmds["pip freeze"] = [str(python), "-m", "pip", "freeze"]
    else:
        skipped["pip freeze"] = "no pip in the env"
    if tools.uv:
        cmds["uv pip freeze"] = [tools.uv, "pip", "freeze", "--python", str(python)]
    else:
        skipped["uv pip freeze"] = "uv unavailable"
    if tools.pipdeptree:
        cmds["pipdeptree -o freeze"] = [tools.pipdeptree, "--python", str(python), "-o", "freeze"]
        cmds["pipdeptree"] = [tools.pipdeptree, "--python", str(python), "-o", "text"]
    else:
        skipped["pipdeptree"] = skipped["pipdeptree -o freeze"] = "pipdeptree unavailable"
    if tools.pip_chill_dir:
        cmds["pip-chill"] = [str(python), "-c", _chill_script(tools.pip_chill_dir)]
    else:
        skipped["pip-chill"] = "pip-chill unavailable"
    return cmds, skipped


def bench_env(
    tools: Tools,
    label: str,
    venv: Path,
    dists: int,
    files: int,
    *,
    has_pip: bool,
    repeat: int,
    work: Path,
) -> EnvResult:
    """Time every reading command on one environment."""
    python = synth.venv_python(venv)
    lock = work / f"{label}.lock.txt"
    subprocess.run(
        [*tools.envsnap, "freeze", "-p", str(venv), "-o", str(lock)],
        cwd=work,
        env=clean_environ(),
        check=True,
        capture_output=True,
    )
    result = EnvResult(label=label, path=str(venv), dists=dists, files=files)
    cmds, result.skipped = read_commands(tools, python, venv, lock, has_pip=has_pip)
    # check exits 1 when it finds drift: still a valid timing (a note says so)
    ok = {name: (0, 1) for name in cmds if name.startswith("envsnap check")}

    def show(name: str, outcome: Timing | str) -> None:
        shown = f"{outcome.median:.3f} s" if isinstance(outcome, Timing) else outcome
        log(f"  {label:>12}  {name:<30} {shown}")

    for name, outcome in time_commands(cmds, repeat=repeat, cwd=work, ok=ok, on_done=show).items():
        if isinstance(outcome, Timing):
            result.timings[name] = outcome
        else:
            result.skipped[name] = outcome
    for name in ok:
        if name in result.timings:
            done = _run_quiet(cmds[name], cwd=work, env=clean_environ())
            if done.returncode:
                result.notes.append(f"{name} on {label}: exit {done.returncode} (drift reported)")
    return result


def real_env(path: str) -> tuple[str, Path, int, int, bool]:
    """Describe a user's env given with --env: (label, venv dir, dists, files, has pip)."""
    venv = Path(path).expanduser().resolve()
    if venv.is_file():
        venv = venv.parent.parent
    python = synth.venv_python(venv)
    if not python.exists():
        raise SystemExit(f"--env {path}: no interpreter at {python}")
    out = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    site = Path(out.stdout.strip())
    infos = [p for p in site.iterdir() if p.suffix in (".dist-info", ".egg-info")]
    files = sum(len(f) for _, _, f in os.walk(site))
    has_pip = any(p.name.lower().startswith("pip-") for p in infos)
    return f"env:{venv.name}", venv, len(infos), files, has_pip


# --------------------------------------------------------------------------- restore


def bench_restore(
    tools: Tools,
    env: synth.BuiltEnv,
    wheel_dir: Path,
    *,
    repeat: int,
    work: Path,
    compile_too: bool,
) -> tuple[dict[str, Timing], dict[str, str]]:
    """Time restoring one env's lock file into a new venv, warm caches, local wheels."""
    lock = work / f"{env.label}.restore.txt"
    subprocess.run(
        [*tools.envsnap, "freeze", "-p", str(env.path), "-o", str(lock), "--no-annotate"],
        cwd=work,
        env=clean_environ(),
        check=True,
        capture_output=True,
    )
    target = work / "restored"

    def wipe() -> None:
        shutil.rmtree(target, ignore_errors=True)

    py = str(synth.venv_python(target))
    links = ["--no-index", "--find-links", str(wheel_dir)]
    uv_cache = ["--cache-dir", str(work.parent / "uv-cache")]
    plans: dict[str, list[list[str]]] = {
        "venv + pip install -r": [
            [base_python(), "-m", "venv", str(target)],
            [py, "-m", "pip", "install", "-q", "--no-compile", *links, "-r", str(lock)],
        ],
    }
    timings: dict[str, Timing] = {}
    skipped: dict[str, str] = {}
    if tools.uv:
        plans["uv venv + uv pip sync"] = [
            [tools.uv, "venv", "-q", "--python", base_python(), str(target)],
            [tools.uv, "pip", "sync", "-q", *uv_cache, "--python", py, *links, str(lock)],
        ]
    else:
        skipped["uv venv + uv pip sync"] = "uv unavailable"
    if "restore" in tools.envsnap_commands:
        options = tools.restore_options
        argv = [*tools.envsnap, "restore", str(lock), "--venv", str(target), "-q"]
        argv += ["--python", base_python(), "--find-links", str(wheel_dir), "--no-index"]
        plans["envsnap restore"] = [argv]
        if "--installer" in options:
            plans["envsnap restore --installer uv"] = [[*argv, "--installer", "uv"]]
        if "--without-pip" in options:
            plans["envsnap restore --installer uv --without-pip"] = [
                [*argv, "--installer", "uv", "--without-pip"]
            ]
        if compile_too and "--compile" in options:
            plans["envsnap restore --compile"] = [[*argv, "--compile"]]
    else:
        skipped["envsnap restore"] = "envsnap restore does not exist yet"
    if compile_too:
        pip_steps = plans["venv + pip install -r"]
        plans["venv + pip install -r (compile)"] = [
            pip_steps[0],
            [a for a in pip_steps[1] if a != "--no-compile"],
        ]
        if tools.uv:
            uv_steps = plans["uv venv + uv pip sync"]
            plans["uv venv + uv pip sync --compile"] = [uv_steps[0], [*uv_steps[1], "--compile"]]
    for name, steps in plans.items():
        try:
            timings[name] = time_sequence(steps, repeat=repeat, cwd=work, before=wipe)
            log(f"  restore {env.label:>10}  {name:<34} {timings[name].median:.2f} s")
        except (RuntimeError, OSError) as exc:
            skipped[name] = f"failed: {exc}"
            log(f"  restore {env.label:>10}  {name:<34} failed: {exc}")
    wipe()
    return timings, skipped


# --------------------------------------------------------------------------- report


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def ratio_rows(
    results: list[EnvResult], pairs: tuple[tuple[str, str], ...]
) -> list[tuple[str, list[float | None]]]:
    rows = []
    for ours, peer in pairs:
        values: list[float | None] = []
        for res in results:
            a, b = res.timings.get(ours), res.timings.get(peer)
            values.append(a.median / b.median if a and b and b.median else None)
        if any(v is not None for v in values):
            rows.append((f"{ours} / {peer}", values))
    return rows


def render(report: dict[str, object], results: list[EnvResult]) -> str:
    """Render the human tables (also pasted into docs/performance.md)."""
    out: list[str] = []
    heads = [f"{r.label} ({r.dists})" for r in results]
    width = max(12, *(len(h) for h in heads))
    names: list[str] = []
    for res in results:
        names.extend(n for n in res.timings if n not in names)
    col = max(34, *(len(n) for n in names)) if names else 34
    out.append("## Reading an environment: median wall seconds")
    out.append("")
    out.append(
        "| command".ljust(col + 2) + " | " + " | ".join(h.rjust(width) for h in heads) + " |"
    )
    out.append("|" + "-" * (col + 3) + "|" + "|".join("-" * (width + 1) + ":" for _ in heads) + "|")
    for name in names:
        cells = [_fmt(r.timings[name].median if name in r.timings else None) for r in results]
        out.append(
            f"| {name}".ljust(col + 2) + " | " + " | ".join(c.rjust(width) for c in cells) + " |"
        )
    rows = ratio_rows(results, READ_RATIOS)
    if rows:
        col2 = max(len(r[0]) for r in rows)
        out += ["", "## Ratios envsnap / peer (lower is better; < 1 means envsnap is faster)", ""]
        out.append(
            "| ratio".ljust(col2 + 2) + " | " + " | ".join(h.rjust(width) for h in heads) + " |"
        )
        out.append(
            "|" + "-" * (col2 + 3) + "|" + "|".join("-" * (width + 1) + ":" for _ in heads) + "|"
        )
        for label, values in rows:
            cells = ["-" if v is None else f"{v:.2f}" for v in values]
            out.append(
                f"| {label}".ljust(col2 + 2)
                + " | "
                + " | ".join(c.rjust(width) for c in cells)
                + " |"
            )
    synthetic = [r for r in results if r.label.startswith("synth-")]
    if len(synthetic) >= 2:
        small, big = synthetic[0], synthetic[-1]
        out += ["", f"## Growth with env size: {small.label} -> {big.label}", ""]
        out.append("| command | time ratio | ms per extra dist |")
        out.append("|---|---:|---:|")
        for name in names:
            if name in small.timings and name in big.timings:
                a, b = small.timings[name].median, big.timings[name].median
                per = (b - a) / (big.dists - small.dists) * 1000
                out.append(f"| {name} | {b / a:.1f}x | {per:.3f} |")
    restore = report.get("restore")
    if isinstance(restore, dict) and restore.get("timings"):
        timings: dict[str, dict[str, object]] = restore["timings"]
        out += [
            "",
            f"## Restore of {restore['env']} ({restore['dists']} dists), warm cache, "
            "local wheels: median wall seconds",
            "",
        ]
        out.append("| command | seconds |")
        out.append("|---|---:|")
        for name, t in timings.items():
            out.append(f"| {name} | {_fmt(t['median'])} |")  # type: ignore[arg-type]
        lines = []
        for ours, peer in RESTORE_RATIOS:
            if ours in timings and peer in timings:
                r = timings[ours]["median"] / timings[peer]["median"]  # type: ignore[operator]
                lines.append(f"| {ours} / {peer} | {r:.2f} |")
        if lines:
            out += ["", "| restore ratio | value |", "|---|---:|", *lines]
    notes = report.get("notes")
    if isinstance(notes, list) and notes:
        out += ["", "Notes:", *(f"- {n}" for n in notes)]
    return "\n".join(out) + "\n"


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "executable": sys.executable,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated synthetic env sizes [10,100,500,2000]")
    parser.add_argument("--repeat", type=int, help="timed runs per command, after 1 warm-up [5]")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="PATH",
        help="also time this real venv (repeatable)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=HERE / "results" / "latest.json",
        help="write the results here [bench/results/latest.json]",
    )
    parser.add_argument("--quick", action="store_true", help="sizes 10,100 and 3 runs")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=HERE / "results" / "cache",
        help="cache of wheels, envs and tools [bench/results/cache]",
    )
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="time envsnap only (no tools venv, works without any index)",
    )
    parser.add_argument(
        "--restore-size",
        type=int,
        default=100,
        help="synthetic env whose lock is restored; 0 skips restore [100]",
    )
    parser.add_argument(
        "--restore-repeat",
        type=int,
        default=2,
        help="timed restores per command, after 1 warm-up [2]",
    )
    parser.add_argument(
        "--compile", action="store_true", help="also time restores that compile bytecode"
    )
    args = parser.parse_args(argv)
    sizes = (
        tuple(int(s) for s in args.sizes.split(",") if s)
        if args.sizes
        else ((10, 100) if args.quick else DEFAULT_SIZES)
    )
    repeat = args.repeat or (3 if args.quick else 5)
    cache: Path = args.workdir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    started = time.perf_counter()

    try:
        import installer  # noqa: F401, PLC0415
    except ImportError:
        raise SystemExit("bench/run.py needs the installer library: pip install -e .") from None
    tools = prepare_tools(cache, use_peers=not args.no_peers)
    for note in tools.notes:
        log(f"note: {note}")
    wheel_dir = cache / f"wheels-{synth.GENERATOR_VERSION}"
    log(f"building synthetic wheels ({max(sizes)}) in {wheel_dir} ...")
    synth.ensure_wheels(wheel_dir, max(sizes))
    results: list[EnvResult] = []
    built: dict[int, synth.BuiltEnv] = {}
    for size in sizes:
        t0 = time.perf_counter()
        env = synth.build_env(
            base_python(), cache / f"env-{size}", size, wheel_dir, tools.pip_wheel
        )
        built[size] = env
        took = time.perf_counter() - t0
        log(f"env {env.label}: {env.dists} dists, {env.files} files ({took:.1f} s)")
        results.append(
            bench_env(
                tools,
                env.label,
                env.path,
                env.dists,
                env.files,
                has_pip=env.has_pip,
                repeat=repeat,
                work=work,
            )
        )
    for path in args.env:
        label, venv, dists, files, has_pip = real_env(path)
        results.append(
            bench_env(tools, label, venv, dists, files, has_pip=has_pip, repeat=repeat, work=work)
        )
    report: dict[str, object] = {
        "machine": machine(),
        "repeat": repeat,
        "envsnap": tools.envsnap,
        "envs": [
            {
                "label": r.label,
                "path": r.path,
                "dists": r.dists,
                "files": r.files,
                "timings": {
                    n: {"median": round(t.median, 4), "min": min(t.runs), "runs": t.runs}
                    for n, t in r.timings.items()
                },
                "skipped": r.skipped,
            }
            for r in results
        ],
        "ratios": {
            label: dict(
                zip(
                    [r.label for r in results],
                    [None if v is None else round(v, 3) for v in values],
                    strict=True,
                )
            )
            for label, values in ratio_rows(results, READ_RATIOS)
        },
    }
    if args.restore_size and not args.no_peers:
        size = args.restore_size
        env = built.get(size) or synth.build_env(
            base_python(), cache / f"env-{size}", size, wheel_dir, tools.pip_wheel
        )
        timings, skipped = bench_restore(
            tools, env, wheel_dir, repeat=args.restore_repeat, work=work, compile_too=args.compile
        )
        report["restore"] = {
            "env": env.label,
            "dists": env.dists,
            "repeat": args.restore_repeat,
            "timings": {
                n: {"median": round(t.median, 3), "runs": t.runs} for n, t in timings.items()
            },
            "skipped": skipped,
        }
    skipped_all = sorted({f"{k}: {v}" for r in results for k, v in r.skipped.items()})
    report["notes"] = [*tools.notes, *(n for r in results for n in r.notes), *skipped_all]
    report["elapsed"] = round(time.perf_counter() - started, 1)
    text = render(report, results)
    report["table"] = text
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {args.json} ({report['elapsed']} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
