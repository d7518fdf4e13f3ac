"""Frames in: webcam, video file, image folder, each yielding `Frame`s with timestamps."""
