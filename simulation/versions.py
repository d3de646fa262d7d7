"""Versions of silosim and the libraries that shape its results (recorded with every result)."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

RESULT_PACKAGES = ("silosim", "mesa", "numpy", "scipy", "networkx", "pandas")


def package_versions(names: tuple[str, ...] = RESULT_PACKAGES) -> dict[str, str]:
    """Versions of the named distributions ("unknown" if not installed).

    Read once per process (``importlib.metadata`` scans the installed distributions, ~10 ms):
    the classroom app builds a result every frame. Returns a new dict each call.
    """
    return dict(_versions(names))


@functools.cache
def _versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    def one(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    return tuple((name, one(name)) for name in names)
