"""Judging models: metrics, plots, model cards, streaming event scores. Imports no optimiser."""
