"""envsnap's version (the build backend reads it here), importable without the package's API."""

__version__ = "0.1.0"
