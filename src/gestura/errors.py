"""Library errors: each carries one line that names the file or setting and the problem.

The CLI turns any `GesturaError` into `error: <message>` and exit code 2, never a traceback.
"""


class GesturaError(Exception):
    """Base class for every error gestura raises on purpose."""


class InputError(GesturaError):
    """Bad user data: unreadable video, missing hands, NaN, wrong shapes, unknown class."""


class ConfigError(GesturaError):
    """A bad configuration value, unknown key or unknown registry name."""


class SchemaError(GesturaError):
    """Features or landmarks that do not match the schema a model expects."""


class ModelFileError(GesturaError):
    """A model artifact that is missing, truncated, tampered with or of an unknown version."""


def config_error(err: Exception, where: str) -> ConfigError:
    """One `ConfigError` line from a pydantic `ValidationError`: `<where>: <field.path>: <first problem>`, plus how
    many more there are; an unknown key says so."""
    errors = err.errors() if hasattr(err, "errors") else []
    if not errors:
        return ConfigError(f"{where}: {err}")
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "value"
    msg = "unknown setting" if first.get("type") == "extra_forbidden" else first["msg"]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return ConfigError(f"{where}: {loc}: {msg}{more}")
