"""Commands fired on the shared media videos that hold no control gesture (issue: silent when nothing is meant).

    nice .venv/bin/python scripts/media_silence.py [--baseline runs/old-default/src/gestura/assets/default]

Every video of media/mediapipe-samples (open hand, thumb up) and media/msl150 (signing) goes through real
MediaPipe Hands and the live runtime (`Recognizer.stream`); writes runs/media_silence.json.
"""

import argparse
import json
from pathlib import Path

from gestura.runtime.recognizer import Recognizer

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--baseline", default=None, help="another artifact to compare with")
args = ap.parse_args()
root = ROOT.parent / "shared" / "datasets" / "media"
vids = [root / "mediapipe-samples/open_hand_video.mp4", root / "mediapipe-samples/thumb_up_video.mp4"] + \
    sorted((root / "msl150").glob("*.mp4"))
out: dict = {}
for art, name in [(None, "default"), (args.baseline, "baseline")]:
    if name == "baseline" and art is None:
        continue
    rec = Recognizer.from_file(art)
    for v in vids:
        cmds = [(p.t_ms, p.command) for p in rec.stream(v) if p.command]
        out.setdefault(name, {})[v.name] = cmds
        print(name, v.name, cmds, flush=True)
(ROOT / "runs").mkdir(exist_ok=True)
json.dump(out, open(ROOT / "runs" / "media_silence.json", "w"), indent=1)
