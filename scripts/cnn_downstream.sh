#!/usr/bin/env bash
# Downstream check: the packaged default fed by MediaPipe landmarks vs the landmark CNN on the shared videos.
cd "$(dirname "$0")/.."
for v in ../shared/datasets/media/mediapipe-samples/open_hand_video.mp4 ../shared/datasets/media/mediapipe-samples/thumb_up_video.mp4 ../shared/datasets/media/msl150/*.mp4; do
  for lm in mediapipe cnn; do
    extra=""; [ "$lm" = cnn ] && extra="--landmark-model ${LANDMARK_MODEL:-runs/lmk/photos96w05fc}"
    n=$(OMP_NUM_THREADS=1 nice .venv/bin/gestura live --source "$v" --sink log --landmarks $lm $extra 2>/dev/null | grep -c '^{')
    echo "$(basename $v) $lm $n"
  done
done
