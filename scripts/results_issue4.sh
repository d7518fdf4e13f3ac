#!/usr/bin/env bash
# Reproduce the results table of docs/results.md (issue 4): every model + baselines on every real dataset with
# session-, person- or episode-wise splits. Runs sequentially under `nice` on 2 threads; results land in
# runs/results/<dataset>-<split>-<model>/ and the table is printed at the end (scripts/results_table.py).
# Usage: scripts/results_issue4.sh [FILTER]   (FILTER: substring of the run names to (re)run, e.g. "kazuhito")
set -euo pipefail
cd "$(dirname "$0")/.."
GESTURA=${GESTURA:-.venv/bin/gestura}
DATA=${DATA:-../shared/datasets}
OUT=${OUT:-runs/results}
FILTER=${1:-}
COMMON=(--set schedule.epochs=12 --set schedule.patience=4 --set optim.lr=0.002 --set threads=2 --set progress=false --seed 0)

declare -A PARAMS=(
  [lstm]='model.params={units: [64], dense: [64], dropout: 0.2}'
  [bilstm]='model.params={hidden: 48, layers: 1, dropout: 0.3}'
  [transformer]='model.params={d_model: 64, heads: 4, layers: 2, dropout: 0.1}'
  [enhanced_two_stream_lstm]='model.params={hidden: 48, lstm_layers: 1, gate_hidden: 48, dropout: 0.3}'
  [logreg]='model.params={C: 1.0}'
  [knn]='model.params={k: 5}'
)
MODELS=(${MODELS:-logreg knn lstm bilstm transformer enhanced_two_stream_lstm})

run() {  # run NAME DATA_PATH SCHEMA [extra gestura train args...]
  local name=$1 path=$2 schema=$3; shift 3
  for model in "${MODELS[@]}"; do
    local tag="$name-$model"
    [[ -n "$FILTER" && "$tag" != *"$FILTER"* ]] && continue
    [[ -f "$OUT/$tag/metrics.json" ]] && { echo "skip $tag (done)"; continue; }
    echo "== $tag"
    nice -n 10 "$GESTURA" train --data "$path" --features "$schema" --model "$model" --out "$OUT/$tag" \
      --set "${PARAMS[$model]}" "${COMMON[@]}" "$@" || echo "FAILED $tag"
  done
}

run asl-words-session        "$DATA/asl-traduttore/words"   sign-multimodal-v1 --group-by session
run kazuhito-episode         "$DATA/trajectories/kazuhito"   fingertip-trajectory-v1 --group-by episode
run segfault03-episode       "$DATA/trajectories/segfault03" fingertip-trajectory-v1 --group-by episode
run asl-words-person         "$DATA/asl-traduttore/words"   sign-multimodal-v1 --group-by session \
  --set split.test_by=recorded_by --set 'split.test_groups=[dmohazab]'
run farhad99-episode         "$DATA/trajectories/farhad99"   fingertip-trajectory-v1 --group-by episode
run mpdata-episode           "$DATA/mpdata-ilkerdemir"       holistic-raw-v1 --group-by episode
run asl-letters-session      "$DATA/asl-traduttore/letters" sign-multimodal-v1 --group-by session
run asl-letters-person       "$DATA/asl-traduttore/letters" sign-multimodal-v1 --group-by session \
  --set split.test_by=recorded_by --set 'split.test_groups=[Alex]'

.venv/bin/python scripts/results_table.py "$OUT"
