"""Serve the app's browser assets offline: fill Solara's CDN cache from the npm registry.

Solara's server fetches its JavaScript and CSS from a public CDN on first use and caches
them. Where only package registries are reachable (CI), ``python -m simulation.app.assets``
(``make app-assets``) fills that cache with ``npm pack`` of the same package versions the
installed Solara asks for (the CDN serves npm packages under ``/npm/<name>@<version>/``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
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
