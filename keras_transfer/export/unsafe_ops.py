"""`find_unsafe_ops`: the ops of a SavedModel that reach outside the graph.

A SavedModel folder is code: loading it runs its resource initializers and
restore functions, and calling it runs its graph. Graph ops cannot run
arbitrary Python (unless the model holds `PyFunc` ops, which are listed here),
but some of them read or write files, talk to other processes, or abort the
process. `find_unsafe_ops` reads `saved_model.pb` without loading the model
and lists those ops, so that the CLI can refuse a hostile SavedModel before
it runs anything. It is a second line of defence, not a sandbox: only load
SavedModels you trust (see `docs/serving.md`, "Untrusted models").
"""

import os
import re

from tensorflow.core.protobuf import saved_model_pb2

# Op types that touch files, processes, the network, or the Python interpreter.
_UNSAFE_EXACT = frozenset({
    "WriteFile", "ReadFile", "MatchingFiles", "ImmutableConst", "PrintV2", "Abort",
    "PyFunc", "PyFuncStateless", "EagerPyFunc",
    "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice",
    "MergeV2Checkpoints", "LoadAndRemapMatrix", "GenerateVocabRemapping",
})
_UNSAFE_PATTERN = re.compile(
    r"(File|Reader|Record|TextLine|Sql|CSV|LMDB|Snapshot|SaveDataset|LoadDataset|Summary"
    r"|Rpc|Collective|Debug|DataService|RegisterDataset|^_?Send|^_?Recv|^_?HostSend|^_?HostRecv)"
)
# Ops that touch files legitimately: loading a table's vocabulary from the
# SavedModel's own assets (BERT preprocessors).
_ALLOWED = frozenset({"InitializeTableFromTextFile", "InitializeTableFromTextFileV2",
                      "ShardedFilename"})
# The checkpoint ops of the SavedModel's own saver (`saver_def`), allowed only
# inside the functions that only the saver calls.
_SAVER_OPS = frozenset({"SaveV2", "RestoreV2", "MergeV2Checkpoints"})


def is_unsafe_op(op_type):
    """Whether an op type reaches outside the graph (files, processes, network)."""
    if op_type in _ALLOWED:
        return False
    return op_type in _UNSAFE_EXACT or bool(_UNSAFE_PATTERN.search(op_type))


def find_unsafe_ops(saved_model_dir):
    """Lists the op types in a SavedModel that reach outside the graph.

    Every function of the graph library is scanned, including the ones that
    run while loading (resource initializers, restore functions). The
    SavedModel's own checkpoint ops (`SaveV2`, `RestoreV2`,
    `MergeV2Checkpoints`) are allowed inside the functions that only its
    saver calls; anywhere else they are listed too.

    Args:
        saved_model_dir: str or path. A SavedModel folder.

    Returns:
        Sorted list of str: the unsafe op types. Empty for the exports that
        `keras_transfer.export.export_for_serving` writes.

    Raises:
        FileNotFoundError: if the folder holds no `saved_model.pb`.
        ValueError: if `saved_model.pb` is not a SavedModel protocol buffer.

    Example:

    ```python
    keras_transfer.export.find_unsafe_ops("/models/reviews/1")  # []
    ```
    """
    saved_model = read_saved_model(saved_model_dir)
    found = set()
    for meta_graph in saved_model.meta_graphs:
        graph = meta_graph.graph_def
        functions = {f.signature.name: f for f in graph.library.function}
        saver_nodes = {
            name.split(":")[0]
            for name in (meta_graph.saver_def.save_tensor_name,
                         meta_graph.saver_def.restore_op_name)
            if name
        }
        other_roots = [n for n in graph.node if n.name not in saver_nodes]
        found.update(n.op for n in other_roots if is_unsafe_op(n.op))
        reachable = _closure(_called(other_roots, functions), functions)
        reachable |= _closure(_object_graph_functions(meta_graph, functions), functions)
        saver_only = _closure(
            _called([n for n in graph.node if n.name in saver_nodes], functions), functions
        ) - reachable
        for name, function in functions.items():
            allowed = _SAVER_OPS if name in saver_only else frozenset()
            found.update(n.op for n in function.node_def
                         if is_unsafe_op(n.op) and n.op not in allowed)
    return sorted(found)


def read_saved_model(saved_model_dir):
    """Parses `saved_model.pb` of a folder without loading (running) the model."""
    path = os.path.join(os.fspath(saved_model_dir), "saved_model.pb")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No SavedModel in {os.fspath(saved_model_dir)!r}: `saved_model.pb` is "
            "missing. Pass a SavedModel folder such as `base_dir/1`. Received: "
            f"version_dir={os.fspath(saved_model_dir)!r}"
        )
    saved_model = saved_model_pb2.SavedModel()
    with open(path, "rb") as f:
        data = f.read()
    try:
        saved_model.ParseFromString(data)
    except Exception as error:  # protobuf's DecodeError
        raise ValueError(
            f"{path!r} is not a SavedModel protocol buffer ({type(error).__name__})."
        ) from None
    return saved_model


def _called(nodes, functions):
    """Names of the library functions that `nodes` call."""
    names = set()
    for node in nodes:
        if node.op in functions:
            names.add(node.op)
        for value in node.attr.values():
            if value.HasField("func"):
                names.add(value.func.name)
            names.update(f.name for f in value.list.func)
    return names


def _closure(roots, functions):
    seen, todo = set(), [r for r in roots if r in functions]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n for n in _called(functions[name].node_def, functions) if n not in seen)
    return seen


def _object_graph_functions(meta_graph, functions):
    """Functions the loader restores (and may call): every function object."""
    graph = meta_graph.object_graph_def
    names = set(graph.concrete_functions)
    for node in graph.nodes:
        kind = node.WhichOneof("kind")
        if kind == "function":
            names.update(node.function.concrete_functions)
        elif kind == "bare_concrete_function":
            names.add(node.bare_concrete_function.concrete_function_name)
    return names & set(functions)
