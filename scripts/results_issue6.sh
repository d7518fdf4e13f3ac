#!/usr/bin/env bash
# Reproduce the issue-6 numbers in docs/results.md ("Sign-language research models"), one job after another,
# niced and on one thread (the CPU is shared). About 30-40 minutes on a busy 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
nice -n 5 "$PY" scripts/results_issue6.py session --epochs 5 --max-per-class 25
nice -n 5 "$PY" scripts/results_issue6.py person --test-subject dmohazab --epochs 5 --max-per-class 25
nice -n 5 "$PY" scripts/results_issue6.py variations --epochs 3 --max-per-class 10
