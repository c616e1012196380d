"""`required_custom_ops`: the ops of a SavedModel that stock TF Serving lacks."""

import tensorflow as tf

from keras_transfer.export.unsafe_ops import read_saved_model

# Core ops that exist in TensorFlow but can never run in TF Serving: they call
# back into the Python interpreter that wrote the model.
PYTHON_OPS = ("PyFunc", "PyFuncStateless", "EagerPyFunc")


def required_custom_ops(version_dir):
    """Lists the ops in a SavedModel that are not core TensorFlow ops.

    The graph and every function in its library are read from
    `saved_model.pb` without loading the model (loading fails when an op is
    not registered), and each op type is looked up in `tf.raw_ops`, which
    holds exactly the ops built into TensorFlow. The ops that are missing
    there come from extension libraries, typically TensorFlow Text
    (`CaseFoldUTF8`, `NormalizeUTF8`, `RegexSplitWithOffsets`,
    `WordpieceTokenizeWithOffsets`, `FastWordpieceTokenizeWithOffsets`,
    `SentencepieceOp`, ...). A TF Serving binary can run the model only if
    it links every listed op: stock TF Serving links TensorFlow Text's ops at
    the version pinned by its release (and TF Decision Forests' inference
    ops), so TF Text ops newer than that version, and ops of any other
    library, need a custom TF Serving build (see `docs/serving.md`). In
    Python, `import tensorflow_text` before `tf.saved_model.load`. The
    Python-callback ops (`PyFunc`, `EagerPyFunc`) are listed too: no TF
    Serving build can run them.

    Args:
        version_dir: str or path. A SavedModel folder (e.g. a version folder
            written by `keras_transfer.export.export_for_serving`).

    Returns:
        Sorted list of str: the op type names. Empty when the graph uses core
        TensorFlow ops only.

    Raises:
        FileNotFoundError: if `version_dir` holds no `saved_model.pb`.

    Example:

    ```python
    ops = keras_transfer.export.required_custom_ops("/models/reviews/1")
    # ['CaseFoldUTF8', 'NormalizeUTF8', 'RegexSplitWithOffsets',
    #  'WordpieceTokenizeWithOffsets']
    ```
    """
    saved_model = read_saved_model(version_dir)
    ops = set()
    for meta_graph in saved_model.meta_graphs:
        graph = meta_graph.graph_def
        ops.update(node.op for node in graph.node)
        for function in graph.library.function:
            ops.update(node.op for node in function.node_def)
    return sorted(
        op for op in ops
        if op in PYTHON_OPS or (not op.startswith("_") and not hasattr(tf.raw_ops, op))
    )
