"""Sequence classifiers, one architecture per module, behind one registry.

Importing this package registers every architecture below (explicit imports, no plugin discovery), so
`create_model(name)` works for any name an artifact stores. Every registered model is a `GesturaModel`
(`models/base.py`): `embed`, `get_classifier`, `reset_classifier`, `aux_loss` and the export switch.
"""

from gestura.models.base import GesturaModel
from gestura.models.registry import config_class, create_model, list_models, model_config, register_model
from gestura.models import (  # noqa: E402,F401  (imported to register)
    bilstm,
    enhanced_two_stream_lstm,
    lstm,
    sca_stgcn,
    stgcn,
    transformer,
    two_stream_lstm,
)

__all__ = ["GesturaModel", "config_class", "create_model", "list_models", "model_config", "register_model"]
