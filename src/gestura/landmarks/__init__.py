"""Frames to landmark sequences: topology, the sequence type, backends (MediaPipe, our CNN), smoothing."""
