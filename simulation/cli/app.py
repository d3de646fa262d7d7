"""``silosim app``: start the classroom app (a Solara server) on this machine."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from simulation.cli.options import fail

APP_MODULE = "simulation.app.app"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve(host: str, port: int) -> None:
    """Run the Solara server for the app in this process until interrupted (no telemetry, no version check)."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("MPLBACKEND", "Agg")
    from solara.__main__ import cli

    from simulation.app.assets import protect_cache

    protect_cache()
    cli.main(
        ["run", APP_MODULE, "--host", host, "--port", str(port), "--production", "--no-open", "--no-check-version"],
        standalone_mode=False,
    )


def app_command(
    host: Annotated[
        str, typer.Option(help="address to listen on (keep 127.0.0.1 unless you mean to share it)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on (0: any free port)", min=0, max=65535)] = 8765,
) -> None:
    """Start the classroom app in the browser: two org models side by side, live."""
    try:
        import solara  # noqa: F401
    except ImportError:
        fail("the app needs solara: pip install 'silosim[app]'")
    if port == 0:
        port = free_port(host)
    else:
        with socket.socket() as sock:
            if sock.connect_ex((host, port)) == 0:
                fail(f"--port {port}: already in use on {host} (try --port 0)")
    typer.echo(f"silosim app: open http://{host}:{port} in a browser (Ctrl+C stops it)", err=False)
    serve(host, port)
