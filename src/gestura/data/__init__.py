"""Datasets on disk: readers for the common landmark formats, ingest from video, splits, synthetic data."""
