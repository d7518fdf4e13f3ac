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
