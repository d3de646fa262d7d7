"""Serve the app's browser assets offline: fill Solara's CDN cache from the npm registry.

Solara's server fetches its JavaScript and CSS from a public CDN on first use and caches
them. Where only package registries are reachable (CI), ``python -m simulation.app.assets``
(``make app-assets``) fills that cache with ``npm pack`` of the same package versions the
installed Solara asks for (the CDN serves npm packages under ``/npm/<name>@<version>/``).

:func:`protect_cache` makes the running server serve that cache read-only: Solara's CDN
proxy deletes a cached *directory* when a request names it (``GET /_solara/cdn/<package>/
<subdir>`` removes ``<subdir>`` and fetches it from the public CDN), so one request could
break the offline app for everyone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

FONT_AWESOME = "font-awesome@4.5.0"
_CDN_PACKAGE = re.compile(r"\{\{ ?cdn ?\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/")


def cache_dir() -> Path:
    """Solara's CDN cache directory (``SOLARA_ASSETS_PROXY_CACHE_DIR`` or ``<prefix>/share/solara/cdn``)."""
    configured = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(configured) if configured else Path(sys.prefix) / "share" / "solara" / "cdn"


def required_packages() -> list[str]:
    """The ``name@version`` npm packages the installed Solara's page templates load from the CDN."""
    templates = resources.files("solara.server").joinpath("templates")
    found = {FONT_AWESOME}
    for template in templates.iterdir():
        if template.name.endswith((".j2", ".html")):
            found.update(_CDN_PACKAGE.findall(template.read_text(encoding="utf-8")))
    return sorted(found)


def missing_packages(target: Path | None = None) -> list[str]:
    """Required packages not yet in the cache."""
    target = cache_dir() if target is None else target
    return [name for name in required_packages() if not (target / name).is_dir()]


def fetch(name: str, target: Path) -> None:
    """``npm pack`` one package and unpack it as ``target/name`` (the CDN's layout)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", name, "--silent"], cwd=tmp, check=True, capture_output=True, text=True)
        tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tmp) / "package"
        shutil.move(str(staging), str(destination))


def safe_path(original: Callable[[Path, str], Path], base: Path, path: str) -> Path:
    """Solara's ``get_path`` without its destructive branch.

    A cached file is served as it is; a directory (or anything outside the cache) is
    refused; only a file not yet cached is fetched, which adds to the cache and changes nothing.
    """
    parts = path.replace("\\", "/").split("/")
    relative = Path(path) / "__main.js" if len(parts) == 1 else Path(path)
    candidate = (Path(base) / relative).resolve()
    root = Path(base).resolve()
    if root not in candidate.parents:
        raise PermissionError("outside of the asset cache")
    if candidate.is_file():
        return candidate
    if candidate.exists() or any(parent.is_file() for parent in candidate.parents if root in parent.parents):
        raise FileNotFoundError(path)  # a directory: never removed, never replaced
    return original(base, path)


def protect_cache() -> None:
    """Route Solara's CDN proxy through :func:`safe_path`; call before the server module is imported.

    ``solara.server.starlette`` binds ``cdn_helper.get_path`` when imported (and must be
    imported only once Solara's command line has chosen the app), so the helper is patched.
    """
    import functools
    import sys

    from solara.server import cdn_helper

    original = getattr(cdn_helper.get_path, "__wrapped__", cdn_helper.get_path)
    guarded = functools.wraps(original)(functools.partial(safe_path, original))
    cdn_helper.get_path = guarded
    server = sys.modules.get("solara.server.starlette")
    if server is not None:
        server.get_path = guarded


def main() -> int:
    """Fetch whatever is missing; print what was done."""
    target = cache_dir()
    missing = missing_packages(target)
    if not missing:
        print(f"solara assets: all in {target}")  # noqa: T201
        return 0
    if shutil.which("npm") is None:
        print("solara assets: npm is needed to fetch " + ", ".join(missing), file=sys.stderr)  # noqa: T201
        return 1
    for name in missing:
        fetch(name, target)
        print(f"solara assets: {name} -> {target / name}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
