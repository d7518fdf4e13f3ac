"""How the service reports errors: library errors to HTTP status codes, validation errors to one line."""

from __future__ import annotations

import re
from typing import Any

from gestura.errors import ConfigError, GesturaError, InputError, ModelFileError, SchemaError
from gestura.serving.schemas import ErrorOut

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut},
}
"""The error responses documented on the predict routes."""


def status_of(err: GesturaError) -> int:
    """HTTP status for a library error: bad input 422, bad configuration 400, a broken model file 500."""
    if isinstance(err, (InputError, SchemaError)):
        return 422
    if isinstance(err, ConfigError):
        return 400
    if isinstance(err, ModelFileError):
        return 500
    return 400


def one_line(errors: Any) -> str:
    """pydantic/FastAPI error list -> `loc: msg; loc: msg` (first three)."""
    parts = []
    for e in list(errors)[:3]:
        if e.get("type") == "json_invalid":
            parts.append(f"body is not valid JSON ({e.get('ctx', {}).get('error', 'decode error')})")
            continue
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    more = len(list(errors)) - 3
    text = "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)  # client keys stay on one line
