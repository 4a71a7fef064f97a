"""distfile.DistFile: the one file type of the index and install sides."""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.index.distfile import DistFile


def test_a_planned_file_names_its_package_and_hash() -> None:
    file = DistFile(
        name=canonicalize_name("Idna"),
        version=Version("3.10"),
        filename="idna-3.10-py3-none-any.whl",
        hashes={"sha256": "AB" * 32},
    )
    assert (file.label, file.kind, file.is_wheel, file.sha256) == (
        "idna==3.10",
        "wheel",
        True,
        "ab" * 32,
    )


def test_a_listed_file_is_labelled_by_its_name() -> None:
    file = DistFile(filename="idna-3.10.tar.gz", hashes={"md5": "0" * 32})
    assert (file.label, file.kind, file.is_wheel) == ("idna-3.10.tar.gz", "sdist", False)
    with pytest.raises(KeyError):
        _ = file.sha256
    unversioned = DistFile(name=canonicalize_name("x"), filename="x.whl", hashes={})
    assert unversioned.label == "x"
