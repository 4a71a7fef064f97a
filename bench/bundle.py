"""Field trial of ``envsnap bundle``: bundle the web env, restore it offline, freeze it offline.

Usage (a real interpreter, never a shim)::

    python bench/bundle.py                      # 5 paired rounds, warm and cold
    python bench/bundle.py --repeat 3 --work /tmp/bundle-field

Field conditions as in ``bench/field.py`` (whose helpers it uses): envsnap
installed with a plain ``pip install SRC``, the machine's pip configuration
as it is, no index named, the ``web`` env built from the package index by
its own pip. One run:

1. ``envsnap freeze`` of the web env to ``requirements.txt`` (57 pins);
2. time ``envsnap bundle requirements.txt -o B.zip`` beside ``pip download
   -r requirements.txt -d DIR`` (the same file, the same configuration),
   paired and interleaved (each round starts with the other one), medians:
   *warm* (each keeps its own cache: envsnap's file and page caches, pip's
   HTTP cache; one untimed run each first) and *cold* (a new envsnap cache
   directory each run, ``pip download --no-cache-dir``);
3. the bundle's size against the sum of its files plus its lock;
4. restore the bundle with every index pointed at a closed loopback port and
   a dead proxy (``PIP_INDEX_URL`` and ``PIP_EXTRA_INDEX_URL`` at
   127.0.0.1:9, ``PIP_CONFIG_FILE`` the null device, ``PIP_FIND_LINKS``
   unset, ``HTTP(S)_PROXY`` at 127.0.0.1:9, an empty uv cache), then
   ``envsnap check BUNDLE`` and ``envsnap check`` of the new venv;
5. ``envsnap freeze -o pylock.toml`` of the restored venv in the same dead
   network, validated with ``packaging.pylock``, and its files compared with
   the same freeze with the network up, and with ``--ask-index`` (every file
   the index lists).

Results go to stdout and ``--json`` (default ``bench/results/bundle-latest.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.pylock import Pylock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import field  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomlkit as tomllib

if TYPE_CHECKING:
    from collections.abc import Mapping

DEAD = "http://127.0.0.1:9"


def dead_environ(uv_cache: Path) -> dict[str, str]:
    """The field environment with every index at a closed port and a dead proxy."""
    env = field.field_environ()
    for key in ("PIP_FIND_LINKS", "PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        env.pop(key, None)
    env.update(
        PIP_INDEX_URL=f"{DEAD}/simple/",
        PIP_EXTRA_INDEX_URL=f"{DEAD}/simple/",
        PIP_CONFIG_FILE=os.devnull,
        HTTP_PROXY=DEAD,
        HTTPS_PROXY=DEAD,
        http_proxy=DEAD,
        https_proxy=DEAD,
        UV_INDEX_URL=f"{DEAD}/simple/",
        UV_CACHE_DIR=str(uv_cache),
    )
    return env


def run(
    argv: list[str], *, env: Mapping[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def paired(
    envsnap: str, pip_python: str, requirements: Path, scratch: Path, *, repeat: int, cold: bool
) -> dict[str, object]:
    """Time bundle and pip download ``repeat`` times each, interleaved; medians and ratio."""
    base = field.field_environ()
    warm_cache = scratch / "envsnap-cache-warm"
    times: dict[str, list[float]] = {"envsnap bundle": [], "pip download -r": []}
    failures: list[str] = []

    def command(name: str, number: int) -> tuple[list[str], dict[str, str]]:
        out = scratch / f"{name.split(maxsplit=1)[0]}-{number}"
        if name == "envsnap bundle":
            cache = scratch / f"envsnap-cache-{number}" if cold else warm_cache
            argv = [envsnap, "bundle", str(requirements), "-o", f"{out}.zip", "-q"]
            return argv, {**base, "ENVSNAP_CACHE_DIR": str(cache)}
        argv = [pip_python, "-m", "pip", "download", "-q", "-r", str(requirements), "-d", str(out)]
        return argv + (["--no-cache-dir"] if cold else []), base

    names = list(times)
    if not cold:  # prime each one's own cache, untimed
        for name in names:
            argv, env = command(name, 0)
            run(argv, env=env, cwd=scratch)
    for number in range(1, repeat + 1):
        order = names if number % 2 else names[::-1]
        for name in order:
            argv, env = command(name, number)
            subprocess.run(["sync"], check=False)
            seconds, done = run(argv, env=env, cwd=scratch)
            if done.returncode:
                failures.append(
                    f"{name}: exit {done.returncode}: {field.first_error_line(done.stderr)}"
                )
            else:
                times[name].append(seconds)
        for path in scratch.glob("*-[0-9]*"):  # outside the timing
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
    medians = {n: round(statistics.median(t), 3) if t else None for n, t in times.items()}
    ours, peer = medians["envsnap bundle"], medians["pip download -r"]
    return {
        "runs": {n: [round(x, 3) for x in t] for n, t in times.items()},
        "medians": medians,
        "ratio": round(ours / peer, 3) if ours and peer else None,
        "failures": failures,
    }


def trial(envsnap: str, requirements: Path, scratch: Path) -> dict[str, object]:
    """Bundle, restore offline, check, freeze offline: exit codes and what they said."""
    result: dict[str, object] = {}
    env = {**field.field_environ(), "ENVSNAP_CACHE_DIR": str(scratch / "envsnap-cache-warm")}
    bundle = scratch / "web.zip"
    _, done = run([envsnap, "bundle", str(requirements), "-o", str(bundle)], env=env, cwd=scratch)
    result["bundle"] = {"exit": done.returncode, "said": done.stderr.strip().splitlines()[-1:]}
    if done.returncode:
        return result
    with zipfile.ZipFile(bundle) as archive:
        members = sum(i.file_size for i in archive.infolist())
        lock_size = archive.getinfo("pylock.toml").file_size
    result["size"] = {
        "zip": bundle.stat().st_size,
        "files": members - lock_size,
        "lock": lock_size,
        "overhead": bundle.stat().st_size - members,
    }
    dead = dead_environ(scratch / "uv-cache-empty")
    venv = scratch / "restored"
    shutil.rmtree(venv, ignore_errors=True)
    seconds, done = run(
        [envsnap, "restore", str(bundle), "--venv", str(venv)], env=dead, cwd=scratch
    )
    result["restore offline"] = {
        "exit": done.returncode,
        "seconds": round(seconds, 2),
        "said": done.stderr.strip().splitlines()[-1:],
    }
    _, done = run([envsnap, "check", str(bundle)], env=dead, cwd=scratch)
    result["check bundle"] = {"exit": done.returncode, "said": done.stdout.strip().splitlines()}
    _, done = run([envsnap, "check", str(requirements), "-p", str(venv)], env=dead, cwd=scratch)
    result["check venv"] = {"exit": done.returncode, "said": done.stdout.strip()}
    locks: dict[str, Path] = {}
    for label, extra, environ in (
        ("offline", [], dead),
        ("online", [], field.field_environ()),
        ("--ask-index", ["--ask-index"], field.field_environ()),
    ):
        out = scratch / f"pylock.{label.strip('-')}.toml"
        _, done = run(
            [envsnap, "freeze", "-p", str(venv), "-o", str(out), *extra], env=environ, cwd=scratch
        )
        result[f"freeze {label}"] = {
            "exit": done.returncode,
            "said": done.stderr.strip().splitlines()[-1:],
        }
        if done.returncode == 0:
            locks[label] = out
    parsed = {}
    for label, path in locks.items():
        lock = Pylock.from_dict(tomllib.loads(path.read_text()))
        lock.validate()
        entries: list[tuple[str, object]] = [
            (p.name, f) for p in lock.packages for f in [*(p.wheels or ()), p.sdist] if f
        ]
        every = {_file_key(name, f) for name, f in entries}
        chosen = {_file_key(p.name, f) for p, f in lock.select()}
        parsed[label] = (every, chosen)
    if "offline" in parsed:
        every, chosen = parsed["offline"]
        result["freeze offline validates"] = True
        for label in ("online", "--ask-index"):
            if label in parsed:
                result[f"offline vs {label}"] = {
                    "files listed": [len(every), len(parsed[label][0])],
                    "same files listed": every == parsed[label][0],
                    "same files selected here": chosen == parsed[label][1],
                }
    return result


def _file_key(name: str, entry: object) -> tuple[str, str, str]:
    """``(package, file name, sha256)`` of a pylock wheel or sdist entry."""
    hashes = getattr(entry, "hashes", None) or {}
    return name, str(getattr(entry, "filename", "")), str(hashes.get("sha256", ""))


def ensure_pip(work: Path, base: str) -> str:
    """A venv with the newest pip from the index (the peer), made once; its interpreter."""
    venv = work / "pip-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        env = field.field_environ()
        for argv in (
            [base, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "-q", "-U", "pip"],
        ):
            _, done = run(argv, env=env, cwd=work)
            if done.returncode:
                raise SystemExit(f"cannot make {venv}: {done.stderr}")
    return str(python)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envsnap-src", type=Path, default=HERE.parent)
    parser.add_argument("--python", default=sys.executable, help="base interpreter")
    parser.add_argument("--work", type=Path, default=HERE / "results" / "bundle-work")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "bundle-latest.json")
    args = parser.parse_args(argv)
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    scratch = work / "run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    load_before = os.getloadavg()[0]
    envsnap_venv, info = field.install_envsnap(args.envsnap_src.resolve(), work, args.python)
    envsnap = str(envsnap_venv / "bin" / "envsnap")
    venv = field.ensure_env("web", field.WEB, work, args.python)
    pip_python = ensure_pip(work, args.python)
    requirements = scratch / "requirements.txt"
    _, done = run(
        [envsnap, "freeze", "-p", str(venv), "-o", str(requirements)],
        env=field.field_environ(),
        cwd=scratch,
    )
    if done.returncode:
        raise SystemExit(f"freeze failed: {done.stderr}")
    report: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "field": field.FIELD,
        "envsnap": info,
        "pins": field._pins(requirements),
        "pip": run([pip_python, "-m", "pip", "--version"], env=field.field_environ(), cwd=scratch)[
            1
        ].stdout.split(" from ")[0],
    }
    report["warm"] = paired(
        envsnap, pip_python, requirements, scratch, repeat=args.repeat, cold=False
    )
    report["cold"] = paired(
        envsnap, args.python, requirements, scratch, repeat=args.repeat, cold=True
    )
    report["trial"] = trial(envsnap, requirements, scratch)
    report["load"] = [round(load_before, 1), round(os.getloadavg()[0], 1), os.cpu_count()]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
