"""Sequence classifiers, one architecture per module, behind one registry."""

from gestura.models.registry import config_class, create_model, list_models, model_config, register_model

__all__ = ["config_class", "create_model", "list_models", "model_config", "register_model"]
