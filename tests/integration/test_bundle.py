"""Bundles on real venvs: made from a loopback index, restored with the network dead.

The "network dead" state is what an air-gapped machine or the last stage of
a Docker build has: ``PIP_INDEX_URL`` at a closed loopback port, a dead
proxy in ``HTTP(S)_PROXY``, an empty uv cache. Every subprocess runs with
``support.venvs.clean_env``; no test leaves 127.0.0.1.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.pylock import Pylock
from packaging.tags import sys_tags

from support.index import serve_index
from support.venvs import clean_env, make_venv, pip_freeze, pip_install, run_envsnap
from support.wheels import build_wheel, file_sha256

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomlkit as tomllib

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("bundle")]

FROZEN = ["alpha==1.0", "beta==1.0", "gamma==1.0", "solo==1.0"]
WHEELS = [f"{n}-1.0-py3-none-any.whl" for n in ("alpha", "beta", "gamma", "solo")]
DEAD = "http://127.0.0.1:9"


def _target_name() -> str:
    """This machine as envsnap bundle names it: ``cp311-linux-x86_64``."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    if "musllinux" in next(iter(sys_tags())).platform:
        system = "linux-musl"
    python = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    return f"{python}-{system}-{platform.machine().lower()}"


TARGET = _target_name()


def dead_network(tmp_path: Path) -> dict[str, str]:
    """Every index at a closed port, a dead proxy, an empty uv cache."""
    return {
        "PIP_INDEX_URL": f"{DEAD}/simple/",
        "HTTP_PROXY": DEAD,
        "HTTPS_PROXY": DEAD,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache-empty"),
    }


def lock_data(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """envsnap's cache for this test (run_envsnap passes os.environ on)."""
    root = tmp_path / "envsnap-cache"
    monkeypatch.setenv("ENVSNAP_CACHE_DIR", str(root))
    return root


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path, loopback_index: str
) -> Path:
    """A directory with the venv alpha -> beta -> gamma + solo, its pylock.toml and
    requirements.txt (frozen with the loopback index)."""
    root = tmp_path_factory.mktemp("bundle-project")
    python = make_venv(root / ".venv")
    pip_install(python, "alpha", "solo", find_links=wheelhouse)
    assert pip_freeze(python) == FROZEN
    for output in ("pylock.toml", "requirements.txt"):
        done = run_envsnap(
            "freeze", "-p", ".venv", "-o", output, "--index-url", loopback_index, cwd=root
        )
        assert done.returncode == 0, done.stderr
    return root


def bundle(project: Path, lock: str, output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_envsnap("bundle", lock, "-o", str(output), *args, cwd=project)


def test_a_bundle_is_its_lock_and_its_files_stored_once(
    project: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.zip"
    done = bundle(project, "pylock.toml", out)
    assert (done.returncode, done.stdout) == (0, "")
    lines = [line.rpartition(" [")[0] or line for line in done.stderr.splitlines()]
    assert lines == [
        f"targets: {TARGET}",
        "fetch: 4 files",
        f"write: {out}: 4 files and pylock.toml",
        f"wrote {out}: 4 packages, 4 files (4 kB) for {TARGET}",
    ]
    with zipfile.ZipFile(out) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["pylock.toml", *(f"files/{w}" for w in WHEELS)]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos[1:])
        for info in infos[1:]:
            assert archive.read(info) == (wheelhouse / info.filename[6:]).read_bytes()
        lock = Pylock.from_dict(tomllib.loads(archive.read("pylock.toml").decode()))
    lock.validate()
    files = sum(i.file_size for i in infos)
    assert out.stat().st_size - files < 120 * len(infos)  # zip headers only: no copies
    frozen = Pylock.from_dict(lock_data(project / "pylock.toml"))
    assert lock.created_by == frozen.created_by == "envsnap"
    assert [(w.name, w.path, w.url, w.size, w.hashes) for p in lock.packages for w in p.wheels] == [
        (
            w.name,
            f"files/{w.name}",
            w.url,
            (wheelhouse / w.name).stat().st_size,
            {"sha256": file_sha256(wheelhouse / w.name)},
        )
        for p in frozen.packages
        for w in p.wheels
    ]
    assert lock.tool["envsnap"]["top-level"] == ["alpha", "solo"]
    assert lock.tool["envsnap"]["bundle"]["targets"] == [TARGET]
    again = tmp_path / "again.zip"
    assert bundle(project, "pylock.toml", again).returncode == 0
    assert again.read_bytes() == out.read_bytes()  # the same inputs, the same bytes


def test_a_requirements_file_takes_its_files_from_the_index(
    project: Path, loopback_index: str, tmp_path: Path
) -> None:
    out = tmp_path / "wheels"
    out.mkdir()  # an empty directory is fine
    done = bundle(project, "requirements.txt", out, "--index-url", loopback_index)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "files").iterdir()) == WHEELS
    lock = Pylock.from_dict(lock_data(out / "pylock.toml"))
    lock.validate()
    assert lock.created_by == "envsnap bundle"
    assert [(p.name, str(p.version), p.index) for p in lock.packages] == [
        (name, "1.0", loopback_index.rstrip("/")) for name in ("alpha", "beta", "gamma", "solo")
    ]
    assert lock.tool["envsnap"]["reasons"] == {"beta": "via alpha", "gamma": "via beta"}
    # an earlier bundle there is replaced
    again = bundle(project, "requirements.txt", out, "--index-url", loopback_index)
    assert again.returncode == 0, again.stderr


def test_the_dockerfile_steps_restore_with_the_network_dead(project: Path, tmp_path: Path) -> None:
    """docs/docker.md's two stages: bundle where the index is, restore where nothing is."""
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(project / "pylock.toml", build)
    assert bundle(build, "pylock.toml", build / "bundle.zip").returncode == 0
    final = tmp_path / "final"
    final.mkdir()
    shutil.copy(build / "bundle.zip", final)  # COPY --from=build /build/bundle.zip .
    dead = dead_network(tmp_path)
    done = run_envsnap(
        "restore", "bundle.zip", "--venv", ".venv", "--no-cache", cwd=final, env=dead
    )
    assert done.returncode == 0, done.stderr
    lines = [line.rpartition(" [")[0] for line in done.stderr.splitlines() if " [" in line]
    assert lines[:2] == [
        "check: bundle.zip: 4 files, each matching its hash",
        "read: bundle.zip/pylock.toml: 4 packages (2 top-level)",
    ]
    assert lines[-1] == f"done: {final / '.venv'} matches bundle.zip/pylock.toml"
    assert (
        "note: bundle.zip carries no pip (its lock does not pin it): the venv is made without "
        "pip; freeze with --all to lock pip, and the bundle carries it"
    ) in done.stderr.splitlines()
    assert pip_freeze(final / ".venv" / "bin" / "python") == FROZEN
    checked = run_envsnap("check", "bundle.zip", cwd=final, env=dead)
    assert (checked.returncode, checked.stdout) == (
        0,
        "bundle.zip: 4 files (4 kB), each matching its hash in the bundle's lock\n"
        f"complete for {TARGET} (4 packages)\n",
    )
    drift = run_envsnap("check", str(project / "pylock.toml"), "-p", ".venv", cwd=final, env=dead)
    assert drift.returncode == 0, drift.stdout + drift.stderr


def tamper(path: Path) -> None:
    """Change one byte in the middle of a file."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["zip", "dir"])
def test_a_bundle_with_one_byte_changed_is_refused_before_anything_is_built(
    project: Path, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / ("bundle.zip" if kind == "zip" else "bundle")
    assert bundle(project, "pylock.toml", out).returncode == 0
    if kind == "dir":
        tamper(out / "files" / "gamma-1.0-py3-none-any.whl")
    else:
        with zipfile.ZipFile(out) as archive:
            offset = archive.getinfo("files/gamma-1.0-py3-none-any.whl").header_offset
        data = bytearray(out.read_bytes())
        data[offset + 200] ^= 0xFF  # inside the stored wheel, past its header
        out.write_bytes(bytes(data))
    done = run_envsnap(
        "restore", str(out), "--venv", "new", cwd=tmp_path, env=dead_network(tmp_path)
    )
    assert (done.returncode, done.stdout) == (2, "")
    error, hint = done.stderr.splitlines()
    assert error.startswith(
        f"error: {out}: 1 of 4 files does not match its lock: files/gamma-1.0-py3-none-any.whl: "
    )
    assert error.endswith("; refused, nothing was built")
    assert ("Bad CRC-32" in error) if kind == "zip" else (" the lock says " in error)
    assert hint == (
        "hint: the bundle was changed or damaged after it was made: make it again with envsnap "
        "bundle (every file is checked against the lock as it is added)"
    )
    assert not (tmp_path / "new").exists()
    checked = run_envsnap("check", str(out), cwd=tmp_path)
    assert (checked.returncode, checked.stderr.splitlines()[0]) == (2, error)


def test_pip_and_uv_install_an_unpacked_bundle(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.zip"
    assert bundle(project, "pylock.toml", out).returncode == 0
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    dead = clean_env(**dead_network(tmp_path))
    lock = str(unpacked / "pylock.toml")
    pip_target = make_venv(tmp_path / "pip-target")
    pip_cmd = [sys.executable, "-m", "pip", "--python", str(pip_target), "install"]
    done = subprocess.run(
        [*pip_cmd, "--no-index", "-r", lock], env=dead, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert pip_freeze(pip_target) == FROZEN
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    uv_target = make_venv(tmp_path / "uv-target")
    done = subprocess.run(
        [
            *(uv, "pip", "install", "--python", str(uv_target), "--offline", "--no-index"),
            *("--preview-features", "pylock", "-r", lock),
        ],
        env=dead,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert pip_freeze(uv_target) == FROZEN


def test_freeze_after_a_bundle_restore_needs_no_index_and_names_the_same_files(
    project: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.zip"
    assert bundle(project, "pylock.toml", out).returncode == 0
    dead = dead_network(tmp_path)
    restored = run_envsnap("restore", str(out), "--venv", "new", cwd=tmp_path, env=dead)
    assert restored.returncode == 0, restored.stderr
    infos = sorted((tmp_path / "new").glob("lib/python*/site-packages/*.dist-info"))
    assert [i.name for i in infos if (i / "provenance_url.json").is_file()] == [
        f"{n}-1.0.dist-info" for n in ("alpha", "beta", "gamma", "solo")
    ]
    frozen = project / "pylock.toml"
    done = run_envsnap("freeze", "-p", "new", "-o", "pylock.toml", cwd=tmp_path, env=dead)
    assert done.returncode == 0, done.stderr
    Pylock.from_dict(lock_data(tmp_path / "pylock.toml")).validate()
    # the same files, URLs and hashes as the freeze of the source venv with the index
    assert (tmp_path / "pylock.toml").read_text() == frozen.read_text()
    hashes = run_envsnap("freeze", "-p", "new", "--hashes", cwd=tmp_path, env=dead)
    assert hashes.returncode == 0, hashes.stderr
    assert hashes.stdout.count("--hash=sha256:") == 4
    for wheel in WHEELS:
        assert f"--hash=sha256:{file_sha256(wheelhouse / wheel)}" in hashes.stdout
    verified = run_envsnap("check", "--verify-files", str(frozen), "-p", "new", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout  # provenance_url.json has its RECORD row


def test_ask_index_says_where_the_index_disagrees_with_the_record(
    project: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    restored = run_envsnap(
        "restore", "pylock.toml", "--venv", str(tmp_path / "new"), "--without-pip", cwd=project
    )
    assert restored.returncode == 0, restored.stderr
    index = project / "pylock.toml"
    recorded_index = Pylock.from_dict(lock_data(index)).packages[0].index
    changed = tmp_path / "changed"  # gamma gone, solo rebuilt: another hash
    changed.mkdir()
    for name in ("alpha", "beta"):
        shutil.copy(wheelhouse / f"{name}-1.0-py3-none-any.whl", changed)
    build_wheel(changed, "solo", "1.0", files={"solo/__init__.py": "changed = True\n"})
    with serve_index(changed) as url:
        done = run_envsnap(
            "freeze",
            "-p",
            "new",
            "-o",
            "pylock.toml",
            "--ask-index",
            "--index-url",
            url,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr
    solo = "solo-1.0-py3-none-any.whl"
    assert [line for line in done.stderr.splitlines() if line.startswith("warning:")] == [
        f"warning: gamma==1.0: gamma-1.0-py3-none-any.whl (from {recorded_index}): "
        "the index no longer has this version",
        f"warning: solo==1.0: {solo}: the index gives sha256 {file_sha256(changed / solo)}, "
        f"the file installed had {file_sha256(wheelhouse / solo)}",
    ]
    text = (tmp_path / "pylock.toml").read_text()
    assert file_sha256(changed / solo) in text  # asked, the index answers


def test_check_says_what_a_bundle_lacks_for_another_platform(tmp_path: Path) -> None:
    bundle_dir = tmp_path / "bundle"
    native = build_wheel(bundle_dir / "files", "native", "1.0", tag="py3-none-linux_x86_64")
    solo = build_wheel(bundle_dir / "files", "solo", "1.0")
    (bundle_dir / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n'
        + "".join(
            f'[[packages]]\nname = "{name}"\nversion = "1.0"\n'
            f'wheels = [{{name = "{w.name}", path = "files/{w.name}", '
            f'hashes = {{sha256 = "{file_sha256(w)}"}}}}]\n'
            for name, w in (("native", native), ("solo", solo))
        ),
        encoding="utf-8",
    )
    done = run_envsnap(
        "check",
        "bundle",
        "--python-version",
        "3.12",
        "--platform",
        "linux-x86_64",
        "--platform",
        "windows-amd64",
        cwd=tmp_path,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines() == [
        "bundle: 2 files (2 kB), each matching its hash in the bundle's lock",
        "complete for cp312-linux-x86_64 (2 packages)",
        "not complete for cp312-windows-amd64:",
        "  1 of 2 packages has no file in the bundle:",
        f"    native 1.0: no wheel for this target and no sdist (it holds {native.name})",
    ]


# --------------------------------------------------------------------------- bad input


def test_a_lock_with_a_directory_package_cannot_be_bundled(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n'
        '[[packages]]\nname = "app"\ndirectory = {path = "app"}\n',
        encoding="utf-8",
    )
    done = bundle(tmp_path, "pylock.toml", tmp_path / "b.zip", "--python-version", "3.12")
    assert (done.returncode, done.stderr.splitlines()[-2:]) == (
        2,
        [
            "error: pylock.toml (at packages[0]): app comes from a VCS or a directory: a bundle "
            "holds files only",
            "hint: build a wheel of it and lock that, or leave it out of the lock",
        ],
    )
    assert not (tmp_path / "b.zip").exists()


def test_an_output_directory_holding_other_files_is_refused(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    done = bundle(project, "pylock.toml", out)
    assert (done.returncode, done.stderr.splitlines()) == (
        2,
        [
            f"error: {out}: holds notes.txt, which no bundle holds; not replaced",
            "hint: name a new or empty directory (an earlier bundle there is replaced)",
        ],
    )
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--platform", "amiga-m68k"), "error: unknown platform 'amiga-m68k'"),
        (
            ("--python-version", "3.12", "-p", sys.executable),
            "error: --python names the interpreter to bundle for; --python-version and "
            "--platform name targets instead: give one or the other",
        ),
    ],
)
def test_bad_targets_are_refused(
    project: Path, tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    done = bundle(project, "pylock.toml", tmp_path / "b.zip", *args)
    assert (done.returncode, done.stderr.splitlines()[0]) == (2, error)


def test_an_unreachable_index_or_a_changed_file_is_exit_3(
    project: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    done = bundle(project, "requirements.txt", tmp_path / "b.zip", "--index-url", f"{DEAD}/simple/")
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-2] == (
        "error: cannot reach http://127.0.0.1:9/ (Connection refused; 3 attempts)"
    )
    lock = tmp_path / "pylock.toml"
    text = (project / "pylock.toml").read_text(encoding="utf-8")
    solo = file_sha256(wheelhouse / "solo-1.0-py3-none-any.whl")
    lock.write_text(text.replace(solo, "0" * 64), encoding="utf-8")
    done = bundle(tmp_path, "pylock.toml", tmp_path / "b.zip")
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-2] == (
        f"error: solo==1.0: solo-1.0-py3-none-any.whl: hash mismatch: the lock file expects "
        f"sha256 {'0' * 64}, the file has {solo}"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["envsnap-cache", "pylock.toml"]


def write_lock(root: Path, wheel: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n'
        f'[[packages]]\nname = "solo"\nversion = "1.0"\nwheels = [{wheel}]\n',
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda b: b.mkdir(), "error: {b}: no pylock.toml at its top: not a bundle"),
        (
            lambda b: write_lock(
                b, '{url = "https://h/solo-1.0-py3-none-any.whl", hashes = {sha256 = "00"}}'
            ),
            "error: {b}/pylock.toml (at packages[0].wheels[0]): solo's file has a URL and no "
            "path: not a bundle; refused, nothing was built",
        ),
        (
            lambda b: write_lock(
                b, '{path = "../solo-1.0-py3-none-any.whl", hashes = {sha256 = "00"}}'
            ),
            "error: {b}/pylock.toml (at packages[0].wheels[0]): path "
            "'../solo-1.0-py3-none-any.whl' leaves the bundle; refused, nothing was built",
        ),
    ],
)
def test_restore_refuses_what_is_no_bundle(tmp_path: Path, make, error: str) -> None:
    b = tmp_path / "b"
    make(b)
    done = run_envsnap("restore", "b", "--venv", "new", cwd=tmp_path, env=dead_network(tmp_path))
    assert (done.returncode, done.stderr.splitlines()[0]) == (2, error.format(b="b"))
    assert not (tmp_path / "new").exists()


def test_restore_of_a_bundle_with_pip_is_refused(project: Path, tmp_path: Path) -> None:
    assert bundle(project, "pylock.toml", tmp_path / "b.zip").returncode == 0
    done = run_envsnap("restore", "b.zip", "--installer", "pip", "--venv", "new", cwd=tmp_path)
    lines = [line.rpartition(" [")[0] or line for line in done.stderr.splitlines()]
    assert (done.returncode, lines) == (
        2,
        [
            "check: b.zip: 4 files, each matching its hash",
            "error: b.zip: a bundle is restored with uv, offline; --installer pip was asked",
            "hint: drop --installer pip; pip itself can install the unpacked bundle: pip install "
            "--no-index -r BUNDLE/pylock.toml",
        ],
    )
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("b.zip", "--verify-files"), "Error: --verify-files does not apply to a bundle"),
        (
            ("pylock.toml", "--platform", "linux-x86_64"),
            "Error: --python-version and --platform apply to a bundle only",
        ),
    ],
)
def test_check_options_that_do_not_apply(
    project: Path, tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    assert bundle(project, "pylock.toml", tmp_path / "b.zip").returncode == 0
    shutil.copy(project / "pylock.toml", tmp_path)
    done = run_envsnap("check", *args, cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()[-1]) == (2, error)


def test_a_portable_lock_is_bundled_for_its_targets_or_those_named(tmp_path: Path) -> None:
    served = tmp_path / "served"
    native_linux = build_wheel(served, "native", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64")
    native_windows = build_wheel(served, "native", "1.0", tag="cp312-cp312-win_amd64")
    solo = build_wheel(served, "solo", "1.0")
    with serve_index(served) as url:
        base = url.removesuffix("simple/")

        def wheels(*paths: Path) -> str:
            return ", ".join(
                f'{{name = "{p.name}", url = "{base}files/{p.name}", '
                f'hashes = {{sha256 = "{file_sha256(p)}"}}}}'
                for p in paths
            )

        (tmp_path / "pylock.toml").write_text(
            'lock-version = "1.0"\ncreated-by = "envsnap"\nrequires-python = ">=3.12"\n'
            f'[[packages]]\nname = "native"\nversion = "1.0"\n'
            f"wheels = [{wheels(native_linux, native_windows)}]\n"
            f'[[packages]]\nname = "solo"\nversion = "1.0"\nwheels = [{wheels(solo)}]\n'
            '[tool.envsnap]\ntargets = ["cp312-linux-x86_64", "cp312-windows-amd64"]\n',
            encoding="utf-8",
        )
        both = bundle(tmp_path, "pylock.toml", tmp_path / "both.zip")
        one = bundle(
            tmp_path,
            "pylock.toml",
            tmp_path / "one",
            "--platform",
            "linux-x86_64",
            "--python-version",
            "3.12",
        )
    assert both.returncode == 0, both.stderr
    assert "targets: cp312-linux-x86_64, cp312-windows-amd64" in both.stderr
    with zipfile.ZipFile(tmp_path / "both.zip") as archive:
        assert sorted(archive.namelist()) == sorted(
            ["pylock.toml", *(f"files/{p.name}" for p in (native_linux, native_windows, solo))]
        )
        lock = Pylock.from_dict(tomllib.loads(archive.read("pylock.toml").decode()))
    assert [str(m) for m in lock.environments or ()] == [
        'python_version == "3.12" and sys_platform == "linux" and platform_machine == "x86_64"',
        'python_version == "3.12" and sys_platform == "win32" and platform_machine == "AMD64"',
    ]
    assert one.returncode == 0, one.stderr
    assert sorted(p.name for p in (tmp_path / "one" / "files").iterdir()) == sorted(
        [native_linux.name, solo.name]
    )
    checked = run_envsnap(
        "check", "one", "--python-version", "3.12", "--platform", "windows-amd64", cwd=tmp_path
    )
    assert (checked.returncode, checked.stdout.splitlines()[1:]) == (
        1,
        [
            "not complete for cp312-windows-amd64:",
            '  its environments (python_version == "3.12" and sys_platform == "linux" and '
            'platform_machine == "x86_64") leave out cp312-windows-amd64: installers refuse the '
            "lock there",
            "  1 of 2 packages has no file in the bundle:",
            f"    native 1.0: no wheel for this target and no sdist (it holds {native_linux.name})",
        ],
    )
