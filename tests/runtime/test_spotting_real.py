"""The packaged default on real recordings: a mirrored session scores like the original, a still hand is silent."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def test_packaged_default_scores_a_mirrored_real_session_like_the_original(shared_datasets) -> None:
    """The issue's spec on a real session: every landmark x -> 1 - x, the hand in the other slot, the direction
    labels swapped; hit rate within 0.03 and no class confused as its mirror partner more than once."""
    from gestura.data.formats import load_dataset
    from gestura.evaluation.events import score_playback
    from gestura.features.handedness import mirror_label, mirror_sequence
    from gestura.runtime.recognizer import Recognizer
    from gestura.runtime.replay import replay

    rec = Recognizer.from_file()
    assert rec.pipeline.canonical_hand
    seq = next(s for s in load_dataset(shared_datasets / "presentation-streams").sequences
               if s.video_id == "meric_s2")
    a, b = score_playback(replay(rec, seq)), score_playback(replay(rec, mirror_sequence(seq)))
    assert a.n_prompts == b.n_prompts == 70
    assert abs(a.hit_rate - b.hit_rate) <= 0.03
    for label, cs in b.per_class.items():
        assert cs.confused_as.get(mirror_label(label), 0) <= 1 or mirror_label(label) == label


def test_packaged_default_fires_nothing_on_a_raised_still_hand(shared_datasets) -> None:
    """open_hand_video: a hand raised and held, through real MediaPipe and the live runtime: no command."""
    from gestura.runtime.recognizer import Recognizer

    video = shared_datasets / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    rec = Recognizer.from_file()
    preds = list(rec.stream(video))
    assert len(preds) > 150
    assert sum(p.ran_model for p in preds) > 150
    assert [p.command for p in preds if p.command] == []
