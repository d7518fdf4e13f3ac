"""Landmark datasets on disk: one `LandmarkDataset` type and one reader per format, behind one registry.

`load_dataset(path, format=...)` detects the format when it is not given; `list_formats()` names them:
- `seed003` (`seed003.py`): one `<video_id>.npz` per sequence + `groundtruth.txt` + optional `meta.csv`, the
  per-clip layout `asl-traduttore/*`, `presentation-streams` and `gestura extract` use; `write_seed003` writes it.
- `mp_data` (`mp_data.py`): `<action>/<seq>/<frame>.npy`, one flat MediaPipe Holistic vector per frame.
- `kazuhito_point_history`, `kazuhito_keypoint` (`kazuhito.py`): the fingertip-trajectory and hand-sign CSVs.
- `presentation_clips` (`presentation_clips.py`): `<person>/<Right|Left>/<label>/*.npz` takes, wrist-relative
  and palm-scaled.
Importing this package registers every format above (explicit imports, in detection order). Every problem is an
`InputError` with one line naming the file.
"""

from gestura.data.formats.landmark_dataset import DEFAULT_FPS, LandmarkDataset, format_summary
from gestura.data.formats.registry import (
    DatasetFormat,
    ReadOptions,
    detect_format,
    detect_formats,
    list_formats,
    load_dataset,
    register_format,
)
from gestura.data.formats.seed003 import (  # imported in detection order: each registers itself
    frame_labels_from_marks,
    read_groundtruth,
    read_meta,
    read_seed003,
    write_seed003,
)
from gestura.data.formats.mp_data import read_mp_data, split_holistic
from gestura.data.formats.kazuhito import (
    KAZUHITO_IMAGE_SIZES,
    kazuhito_image_size,
    read_kazuhito_keypoint,
    read_kazuhito_point_history,
    read_labels,
)
from gestura.data.formats.presentation_clips import read_presentation_clips, read_take

__all__ = [
    "DEFAULT_FPS", "KAZUHITO_IMAGE_SIZES", "DatasetFormat", "LandmarkDataset", "ReadOptions", "detect_format",
    "detect_formats", "format_summary", "frame_labels_from_marks", "kazuhito_image_size", "list_formats",
    "load_dataset", "read_groundtruth", "read_kazuhito_keypoint", "read_kazuhito_point_history", "read_labels",
    "read_meta", "read_mp_data", "read_presentation_clips", "read_seed003", "read_take", "register_format",
    "split_holistic", "write_seed003",
]
