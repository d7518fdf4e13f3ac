"""Landmark sequences to feature arrays: versioned schemas, normalisation, augmentation, windows."""
