#!/usr/bin/env bash
# Reproduces docs/results.md "Presentation streams" (issue 9). CPU only, about 100 min on a 2-core machine;
# run from the repo root. Steps are sequential and niced; JSON results land in runs/issue9/ (git-ignored) and
# `scripts/stream_experiments.py table --out runs/issue9` prints the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=".venv/bin/python"
DATA=../shared/datasets/presentation-streams
mkdir -p runs/issue9
# 1. the simple approach of the issue: k-NN on hand-crafted window features, EMA + thr 0.9 + 5 frames + 1 s cooldown
nice "$PY" scripts/stream_experiments.py knn --out runs/issue9/knn.json
# 2. models on stream windows: leave-one-person-out both ways + joschua sessions 1+2 -> 3; default decision
#    settings vs settings tuned on the training person; bundles saved as runs/issue9/<stem>_<fold>/
nice "$PY" scripts/stream_experiments.py model --model lstm --epochs 30 --out runs/issue9/lstm.json
nice "$PY" scripts/stream_experiments.py model --model lstm --pretrain --epochs 30 --out runs/issue9/lstm_pretrain.json
nice "$PY" scripts/stream_experiments.py model --model enhanced_two_stream_lstm --epochs 15 \
  --out runs/issue9/enhanced_two_stream_lstm.json
# 3. enrolment K in {0,3,5,10} on the saved leave-one-person-out lstm bundles (short and longer stage B)
nice "$PY" scripts/stream_experiments.py enroll --model lstm --base lstm --out runs/issue9/enroll_lstm.json
nice "$PY" scripts/stream_experiments.py enroll --model lstm --base lstm --adapt-epochs 15 --adapt-lr 3e-3 \
  --backbone-mult 0.5 --out runs/issue9/enroll_lstm_v2.json
# 4. the runtime itself, frame by frame as `gestura live` runs it, on the held-out person (+ timeline PNG, cost)
nice .venv/bin/gestura evaluate-stream runs/issue9/lstm_joschua_to_meric --data "$DATA" --split subject=meric \
  --out runs/issue9/eval_lstm_meric
# 5. the former synthetic-only default on every real stream (people it never saw)
nice "$PY" scripts/build_default_model.py --out runs/default-synthetic
nice .venv/bin/gestura evaluate-stream runs/default-synthetic --data "$DATA" --fast \
  --out runs/issue9/eval_synthetic_default
# 6. the packaged default's recipe across people (real streams + generated sessions of every gesture + signing
#    negatives), two seeds, with thresholds also tuned on a held-out session of the training person; the same
#    with generated sessions only; enrolment on the latter's bundles
nice "$PY" scripts/stream_experiments.py model --model lstm --epochs 30 --mix-generated 6 --tune-on-held-session \
  --out runs/issue9/lstm_generated.json
nice "$PY" scripts/stream_experiments.py model --model lstm --epochs 30 --mix-generated 6 --signing-negatives 1500 \
  --tune-on-held-session --out runs/issue9/lstm_generated_signing.json
nice "$PY" scripts/stream_experiments.py model --model lstm --epochs 30 --mix-generated 6 --signing-negatives 1500 \
  --seed 1 --out runs/issue9/lstm_generated_signing_seed1.json
nice "$PY" scripts/stream_experiments.py model --model lstm --epochs 30 --mix-generated 6 --signing-negatives 1500 \
  --augment --motion-amplitude 0.9 --out runs/issue9/lstm_generated_signing_augamp.json
nice "$PY" scripts/stream_experiments.py model --model bilstm --epochs 30 --mix-generated 6 --signing-negatives 1500 \
  --out runs/issue9/bilstm_generated_signing.json
nice "$PY" scripts/stream_experiments.py enroll --model lstm --base lstm_generated --mix-generated 6 \
  --adapt-epochs 15 --adapt-lr 3e-3 --backbone-mult 0.5 --out runs/issue9/enroll_lstm_generated.json
# 7. the packaged default itself (its model card quotes runs/issue9/lstm_generated_signing.json)
nice "$PY" scripts/build_default_model_real.py --epochs 30
nice "$PY" scripts/stream_experiments.py table --out runs/issue9
