"""Deterministic synthetic hand gestures: a kinematic 21-joint hand for tests, pretraining and the demo.

A hand is a small kinematic model (palm of length 1, three flexing segments per finger, a thumb that folds
across the palm) posed per frame by 12 parameters: wrist position (normalised image x, y), scale, roll/yaw/pitch
and five finger flexions plus a finger spread. Gestures are key-frame tracks of those parameters interpolated
with minimum-jerk profiles, then tremor, landmark noise and dropped detections are added per subject.

Coordinates follow MediaPipe Hands on a selfie-mirrored image: x, y in [0, 1] of width and height, z relative
to the wrist (smaller = closer to the camera); a swipe to the person's left moves towards smaller x, and
`rotate_left` turns the fingertips counter-clockwise as the person sees it. Never report accuracy on this data
as if it were real: it is a stand-in whose difficulty is whatever the generator makes it.

The package, by what each module generates: `people.py` (`SubjectStyle`), `hand.py` (the kinematic hand and its
renderer), `gestures.py` (gesture and non-gesture key-frame tracks, the class lists), `recording.py` (tremor,
detector noise, packaging), `clips.py` (`make_clip`), `sessions.py` (`make_session`) and `datasets.py`
(`make_dataset`, `make_stream_dataset`, `write_synthetic`).
"""

from gestura.data.synthetic.clips import make_clip
from gestura.data.synthetic.datasets import make_dataset, make_stream_dataset, write_synthetic
from gestura.data.synthetic.gestures import (
    ALL_CLASSES,
    EXTRA_CLASSES,
    PRESENTATION_CLASSES,
    STREAM_CLASSES,
    UNKNOWN_KINDS,
)
from gestura.data.synthetic.hand import render_hand, rest_state
from gestura.data.synthetic.people import SWIPE_STYLES, SubjectStyle
from gestura.data.synthetic.sessions import make_session

__all__ = [
    "ALL_CLASSES", "EXTRA_CLASSES", "PRESENTATION_CLASSES", "STREAM_CLASSES", "SWIPE_STYLES", "UNKNOWN_KINDS",
    "SubjectStyle", "make_clip", "make_dataset", "make_session", "make_stream_dataset", "render_hand", "rest_state",
    "write_synthetic",
]
