"""`gestura serve`: check the key and port, bind the socket first, say what is served and whether auth is on.

Binding before uvicorn starts means the printed address is the real one (`--port 0` prints the port the kernel
chose) and a port out of range or in use is one line, not a traceback or a silently different port.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gestura.errors import ConfigError
from gestura.limits import MAX_PORT

API_KEY_ENV = "GESTURA_API_KEY"


def check_api_key(api_key: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The key to require, or None for no auth; an empty or blank key (option or environment) is refused."""
    env = os.environ if environ is None else environ
    if api_key is None and env.get(API_KEY_ENV) is not None and not env[API_KEY_ENV].strip():
        raise ConfigError(f"{API_KEY_ENV} is set but empty; unset it for no auth or give a real key")
    if api_key is not None and not api_key.strip():
        raise ConfigError("--api-key is empty; an empty key would authenticate anyone (omit it for no auth)")
    return api_key


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (0 = any free port); a bad port or address is one `ConfigError`."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
        raise ConfigError(f"--port {port}: out of bounds (must be 0..{MAX_PORT})")
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(2048)
    except socket.gaierror as err:
        raise ConfigError(f"--host {host!r}: cannot resolve ({err.strerror})") from None
    except OSError as err:
        raise ConfigError(f"--host {host} --port {port}: cannot listen ({err.strerror})") from None
    sock.set_inheritable(True)
    return sock


def serve(artifact: str | os.PathLike[str], *, host: str, port: int, api_key: str | None, engine: str,
          say: Callable[[str], Any]) -> None:
    """Build the app, bind, print the real address and the auth state, and run uvicorn until stopped."""
    import uvicorn

    from gestura.serving.app import create_app

    key = check_api_key(api_key)
    sock = bind_socket(host, port)
    try:
        application = create_app(Path(artifact), api_key=key, engine=engine)
        limits = application.state.limits
        real_host, real_port = sock.getsockname()[:2]
        shown = f"[{real_host}]" if ":" in str(real_host) else real_host
        say(f"gestura serving on http://{shown}:{real_port}/ (docs at /docs)")
        say("auth: on (X-API-Key header or ?api_key= required on /v1, /metrics and presenter control)" if key
            else f"auth: off (no --api-key or {API_KEY_ENV}); anyone who can reach this address can use it")
        config = uvicorn.Config(application, log_level="warning", ws_max_size=limits.max_ws_message_bytes,
                                ws_ping_interval=20, ws_ping_timeout=20, timeout_graceful_shutdown=5)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
