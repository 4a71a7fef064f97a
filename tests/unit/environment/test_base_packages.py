"""The base packages a --system-site-packages venv relies on: recorded by freeze, read back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from envsnap.environment.base_packages import missing_from, relied_on
from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import build_snapshot
from envsnap.lockfiles import DumpOptions
from envsnap.lockfiles.pylock import write as pylock_format
from envsnap.lockfiles.readers import read_lock
from envsnap.lockfiles.requirements import write as requirements_format
from envsnap.lockfiles.requirements.read import load
from support.fake_site import FakeSite

if TYPE_CHECKING:
    from pathlib import Path


def system_site_snapshot(site: FakeSite, tmp_path: Path, *, include_system: bool = False):
    """own -> certifi (base); base hub -> leaf (own); base certifi -> basedep; unused base idle."""
    base = FakeSite(tmp_path / "base")
    if not (site.root / "own-1.0.dist-info").exists():
        site("own", "1.0", "certifi", requested=True)
        site("leaf", "2.0")
        base("certifi", "2024.8.30", "basedep")
        base("basedep", "1.0")
        base("Hub", "1.0", "leaf")
        base("idle", "3.0")
    dists, _ = read_distributions([site.root], [base.root])
    env = site.environment(base_site_packages=(base.root,), include_system_site_packages=True)
    return build_snapshot(env, dists, include_system=include_system)


def test_relied_on_follows_requirements_both_ways_and_through_the_base(
    site: FakeSite, tmp_path: Path
) -> None:
    snapshot = system_site_snapshot(site, tmp_path)
    assert relied_on(snapshot) == ["basedep==1.0", "certifi==2024.8.30", "Hub==1.0"]
    # --include-system lists the base packages themselves: nothing to record apart
    assert relied_on(system_site_snapshot(site, tmp_path, include_system=True)) is None


def test_relied_on_is_none_for_an_isolated_venv(site: FakeSite) -> None:
    site("own", "1.0")
    dists, _ = read_distributions([site.root], [])
    assert relied_on(build_snapshot(site.environment(), dists)) is None


def test_the_requirements_header_records_them_and_the_readers_read_them(
    site: FakeSite, tmp_path: Path
) -> None:
    snapshot = system_site_snapshot(site, tmp_path)
    text = requirements_format.dump(snapshot, DumpOptions())
    assert text.splitlines()[1:] == [
        "# system-site-packages: basedep==1.0, certifi==2024.8.30, Hub==1.0",
        "# top-level",
        "own==1.0",
        "# transitive",
        "leaf==2.0",
        "    # via Hub",  # a base package, recorded in the header: the file is consistent
    ]
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    lock = read_lock(path)
    assert lock.system_site_packages == ("basedep==1.0", "certifi==2024.8.30", "Hub==1.0")
    # the reader for files envsnap did not write gives the same
    assert load(path, pip_api=True).system_site_packages == lock.system_site_packages
    path.write_text(text.replace("# system-site-packages: basedep", "# other: x"), encoding="utf-8")
    assert read_lock(path).system_site_packages is None


def test_a_venv_that_uses_no_base_package_still_records_the_setting(
    site: FakeSite, tmp_path: Path
) -> None:
    site("own", "1.0", requested=True)
    base = FakeSite(tmp_path / "base")
    base("idle", "3.0")
    dists, _ = read_distributions([site.root], [base.root])
    env = site.environment(base_site_packages=(base.root,), include_system_site_packages=True)
    text = requirements_format.dump(build_snapshot(env, dists), DumpOptions())
    assert text.splitlines()[1] == "# system-site-packages: (none used)"
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    assert read_lock(path).system_site_packages == ()


def test_missing_from_compares_pep440_versions() -> None:
    provided = {canonicalize_name("certifi"): "2024.8.30", canonicalize_name("Hub"): "1.0.0"}
    assert missing_from(["certifi==2024.8.30", "hub==1.0", "idna==3.7"], provided) == ["idna==3.7"]
    assert missing_from(["certifi==2024.2.2"], provided) == ["certifi==2024.2.2"]


def test_pylock_records_them_in_tool_envsnap_and_reads_them_back(
    site: FakeSite, tmp_path: Path
) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    site(
        "vcspkg",
        "1.0",
        "certifi",
        requested=True,
        direct_url={
            "url": "https://git.example/v.git",
            "vcs_info": {"vcs": "git", "commit_id": commit},
        },
    )
    base = FakeSite(tmp_path / "base")
    base("certifi", "2024.8.30")
    dists, _ = read_distributions([site.root], [base.root])
    env = site.environment(base_site_packages=(base.root,), include_system_site_packages=True)
    text = pylock_format.dump(build_snapshot(env, dists), DumpOptions(output_dir=tmp_path))
    assert 'system-site-packages = ["certifi==2024.8.30"]\n' in text
    path = tmp_path / "pylock.toml"
    path.write_text(text, encoding="utf-8")
    assert read_lock(path).system_site_packages == ("certifi==2024.8.30",)
