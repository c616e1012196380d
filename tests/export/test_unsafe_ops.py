"""`find_unsafe_ops` lists the ops that reach outside a SavedModel's graph."""

import pytest
import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.unsafe_ops import find_unsafe_ops, is_unsafe_op
from tests.export import tiny_classifiers
from tests.security import hostile_models


def test_own_exports_have_no_unsafe_ops(tmp_path):
    image = export_for_serving(tiny_classifiers.image_classifier(str(tmp_path)),
                               str(tmp_path / "image"), class_names=["a", "b", "c"])
    text = export_for_serving(tiny_classifiers.tf_text_classifier(str(tmp_path)),
                              str(tmp_path / "text"), class_names=["a", "b"])
    # Both hold the saver's own SaveV2/RestoreV2/MergeV2Checkpoints, allowed there.
    assert find_unsafe_ops(image) == []
    assert find_unsafe_ops(text) == []


def test_file_writing_saved_model_is_found(tmp_path):
    path = hostile_models.writing_saved_model(str(tmp_path / "evil"), str(tmp_path / "m"))
    assert find_unsafe_ops(path) == ["WriteFile"]


def test_checkpoint_ops_outside_the_saver_are_found(tmp_path):
    class Saver(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
        def __call__(self, prefix):
            merge = tf.raw_ops.MergeV2Checkpoints(
                checkpoint_prefixes=[prefix], destination_prefix=prefix)
            with tf.control_dependencies([merge]):
                return tf.identity(prefix)

    path = str(tmp_path / "saver")
    tf.saved_model.save(Saver(), path)
    assert find_unsafe_ops(path) == ["MergeV2Checkpoints"]


@pytest.mark.parametrize("op, unsafe", [
    ("WriteFile", True), ("ReadFile", True), ("EagerPyFunc", True), ("TFRecordDataset", True),
    ("CreateSummaryFileWriter", True), ("InitializeTableFromTextFileV2", False),
    ("ReadVariableOp", False), ("MatMul", False), ("Exit", False), ("RestoreV2", True),
])
def test_op_classification(op, unsafe):
    assert is_unsafe_op(op) is unsafe


def test_not_a_saved_model(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\x00garbage")
    with pytest.raises(ValueError, match="is not a SavedModel protocol buffer"):
        find_unsafe_ops(tmp_path)
