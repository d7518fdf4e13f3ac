# The gestura service (HTTP + WebSocket + browser demo) on CPU.
# NOT built or tested in this repository's CI (no Docker engine there); see docs/serving.md.
#   docker build -t gestura .
#   docker run --rm -p 8000:8000 -e GESTURA_API_KEY=change-me gestura
#   docker run --rm -p 8000:8000 -v $PWD/runs/my-model:/model:ro gestura serve /model --host 0.0.0.0
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OMP_NUM_THREADS=1
# libGL/libglib for OpenCV and MediaPipe (video uploads and JPEG streams need MediaPipe Hands).
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The CPU torch wheel first, from PyTorch's CPU index (a plain `pip install torch` pulls the CUDA build).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY src ./src
# One resolve so numpy<2 and protobuf<5 hold for mediapipe, onnx and opencv together.
RUN pip install ".[landmarks,train,serve]"

RUN useradd --create-home --uid 10001 gestura
USER gestura
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
ENTRYPOINT ["gestura"]
# Binds all interfaces inside the container; set GESTURA_API_KEY to require X-API-Key.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
