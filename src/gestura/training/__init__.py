"""Fitting models: run config, trainer, callbacks, artifacts, transfer learning, tuning."""
