"""Tests for speech_embedding/verify.py: the comparison with TFLite."""

from keras_transfer.backbones.providers.speech_embedding.verify import verify


TOLERANCE = 1e-4


def test_verify_reports_differences(exported):
    export_dir, _ = exported
    diffs = verify(export_dir)
    assert set(diffs) == {"melspectrogram", "embedding", "end_to_end",
                          "savedmodel", "tolerance"}
    assert diffs["tolerance"] == TOLERANCE
    for key in ("melspectrogram", "embedding", "end_to_end", "savedmodel"):
        assert 0.0 < diffs[key] <= TOLERANCE
