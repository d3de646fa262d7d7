"""``silosim app``: start the classroom app (a Solara server) on this machine."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Annotated

import typer

from simulation.cli.options import fail

APP_MODULE = "simulation.app.app"


def free_port(host: str = "127.0.0.1", family: int = socket.AF_INET) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(family) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_host(host: str) -> tuple[int, bool]:
    """The address family of ``--host`` and whether it is a loopback address; one-line exit 2 if unusable.

    The host must resolve and be an address of this machine (a socket can be bound to it).
    """
    try:
        infos = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        fail(f"--host {host}: not a host name or address ({getattr(err, 'strerror', None) or err})")
    family, _, _, _, address = infos[0]
    try:
        with socket.socket(family) as sock:
            sock.bind((host, 0))
    except OSError as err:
        fail(f"--host {host}: cannot listen there ({err.strerror or err}); is it an address of this machine?")
    return family, ipaddress.ip_address(address[0].split("%")[0]).is_loopback


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
    family, local = check_host(host)
    if port == 0:
        port = free_port(host, family)
    else:
        with socket.socket(family) as sock:
            if sock.connect_ex((host, port)) == 0:
                fail(f"--port {port}: already in use on {host} (try --port 0)")
    if not local:
        typer.echo(
            f"silosim: warning: --host {host}: the app is reachable from the network (anyone who can reach this "
            f"machine on port {port} can use it); keep 127.0.0.1 to use it only here",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"silosim app: open http://{shown}:{port} in a browser (Ctrl+C stops it)", err=False)
    serve(host, port)
