"""Choosing decision settings on recorded playbacks (training people only): the decision stage is replayed, not
the model, so a grid search costs seconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gestura.errors import InputError
from gestura.evaluation.events import StreamScore, merge_scores, score_playback
from gestura.runtime.replay import Playback, replay_decisions


def decision_objective(score: StreamScore) -> float:
    """One number to tune decisions by: hits, minus confusions twice, minus one hit per ~50 false commands/hour."""
    fph = min(score.false_per_hour, 5000.0)
    return score.hit_rate - 2.0 * score.confusion_rate - fph / 5000.0


def tune_decision(
    playbacks: Sequence[Playback],
    base: Any,
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9),
    min_frames: Sequence[int] = (1, 2, 3, 5),
    per_class: bool = True,
    grace: float = 1.0,
) -> tuple[Any, dict[str, Any]]:
    """Choose threshold, min_frames and then per-class thresholds on recorded playbacks (training people only).

    Grid search over (threshold, min_frames), then one coordinate pass over each discrete class's threshold;
    returns the best `DecisionConfig` and a small summary of the search.
    """
    if not playbacks:
        raise InputError("tune_decision: no playbacks to tune on")
    labels = playbacks[0].labels

    def evaluate(cfg: Any) -> tuple[float, StreamScore]:
        merged = merge_scores(score_playback(pb, replay_decisions(pb.t, pb.probs, labels, cfg, pb.motion), grace)
                              for pb in playbacks)
        return decision_objective(merged), merged

    best_cfg, (best_obj, best_score) = base, evaluate(base)
    for thr in thresholds:
        for mf in min_frames:
            rearm = min(base.rearm, thr - 0.05)
            cfg = base.model_copy(update={"threshold": thr, "min_frames": mf, "rearm": rearm, "thresholds": {},
                                          "rearm_thresholds": {}})
            obj, sc = evaluate(cfg)
            if obj > best_obj:
                best_cfg, best_obj, best_score = cfg, obj, sc
    if per_class:
        for lb in labels:
            if not best_cfg.is_discrete(lb):
                continue
            for thr in thresholds:
                per = {**best_cfg.thresholds, lb: thr}
                cfg = best_cfg.model_copy(update={"thresholds": per,
                                                  "rearm": min(best_cfg.rearm, min(per.values()) - 0.05)})
                obj, sc = evaluate(cfg)
                if obj > best_obj:
                    best_cfg, best_obj, best_score = cfg, obj, sc
    summary = {"objective": best_obj, "threshold": best_cfg.threshold, "min_frames": best_cfg.min_frames,
               "thresholds": dict(best_cfg.thresholds), "on_training": best_score.to_dict()}
    return best_cfg, summary


__all__ = ["decision_objective", "tune_decision"]
