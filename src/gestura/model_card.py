"""The model card (`README.md` beside an artifact), generated from `model.json`.

Sections: architecture, parameters, input, classes, data, splits, results, limitations.
"""

from __future__ import annotations

from typing import Any


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def render_model_card(doc: dict[str, Any]) -> str:
    """Markdown card for a `model.json` document."""
    arch = doc.get("architecture", {})
    meta = doc.get("meta", {}) or {}
    feats = doc.get("features", {})
    labels = doc.get("labels", [])
    params = arch.get("params", {})
    lines = [f"# gestura model: {arch.get('name', '?')}", "",
             f"Created {doc.get('created', '?')} by gestura {doc.get('gestura_version', '?')}.", "",
             "## Architecture", "", f"- registered name: `{arch.get('name')}`"]
    lines += [f"- `{k}`: {v}" for k, v in params.items()]
    if "n_parameters" in meta:
        lines.append(f"- trainable parameters: {meta['n_parameters']:,}")
    lines += ["", "## Input", "",
              f"- feature schema `{feats.get('schema')}` ({feats.get('dim')} features per frame), "
              f"pipeline parameters: `{(feats.get('pipeline') or {}).get('params', {})}`",
              f"- window {doc.get('window')} frames, stride {doc.get('stride')}"
              + (f", resampled to {doc['resample_fps']} fps" if doc.get("resample_fps") else ""),
              "- mask `(B, T)` True on real frames; shorter clips are zero-padded at the end", "",
              f"## Classes ({len(labels)})", "", ", ".join(f"`{lb}`" for lb in labels), ""]
    lines += ["## Data", "", *_items(meta.get("data"))]
    if meta.get("licence"):
        lines.append(f"- licence: {meta['licence']}")
    lines += ["", "## Splits", "", *_items(meta.get("split"))]
    if meta.get("leave_one_person_out"):
        lines += ["", "## Leave-one-person-out", "", *_items(meta["leave_one_person_out"])]
    test = meta.get("test", {})
    lines += ["", "## Results (held-out test split)", ""]
    if test:
        lines += [f"- {k}: {_fmt(v)}" for k, v in test.items() if not isinstance(v, (dict, list))]
        pcr = test.get("per_class_recall")
        if isinstance(pcr, dict) and pcr:
            worst = sorted(pcr.items(), key=lambda kv: kv[1])[:5]
            lines.append("- lowest per-class recall: " + ", ".join(f"`{k}` {v:.3f}" for k, v in worst))
    else:
        lines.append("- no held-out evaluation recorded")
    lines += ["", "## Limitations", "",
              "- Trained on MediaPipe landmarks of the people in the data above; other people, cameras, lighting "
              "and signing speeds can score lower. Check on your own recordings with `gestura evaluate`.",
              "- A closed-set classifier: it always picks one of its classes; use the thresholds and a "
              "no-gesture class to reject other motion.", ""]
    if meta.get("limitations"):
        lines += [f"- {x}" for x in meta["limitations"]] + [""]
    return "\n".join(lines)


def _items(value: object) -> list[str]:
    """Markdown bullets for a dict, a list or a plain value recorded in `model.json`."""
    if not value:
        return ["- not recorded"]
    if isinstance(value, dict):
        return [f"- {k}: {_fmt(v)}" for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [f"- {v}" for v in value]
    return [f"- {value}"]
