"""`HubBackbone`: a TF Hub-format SavedModel as a real, trainable Keras 3 layer."""

import inspect
import os
import re
import warnings

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones.handles import is_library_conversion, resolve_handle
from keras_transfer.groups.layer_group import LayerGroup
from keras_transfer.groups.naming import clean_name, group_names


@keras_transfer_export("keras_transfer.HubBackbone")
class HubBackbone(keras.layers.Layer):
    """Wraps a TF2 SavedModel in TF Hub format as a Keras 3 layer.

    The SavedModel's variables become this layer's Keras weights (trainable or
    not as the SavedModel declares in `trainable_variables`), so `model.fit`
    fine-tunes them when `trainable=True` and leaves them byte-identical when
    `trainable=False`. It replaces `tensorflow_hub.KerasLayer`, which only
    works with tf_keras, and follows its argument rules: `signature`,
    `output_key`, `signature_outputs_as_dict` and `arguments` mean the same.

    `training=True` reaches the SavedModel only when it accepts a `training`
    argument, the layer is trainable with at least one trainable weight, and
    `inference_mode` is False: a frozen backbone always runs in inference mode,
    so its BatchNorm statistics never move (Keras' BatchNormalization
    semantics). Regularization losses declared by the SavedModel count only
    while the layer is trainable.

    Variables are grouped from input to output (`layer_groups`) from their
    names (`block3/…`, `transformer_layer_3/…`); the fine-tuning callbacks
    freeze and schedule per group.

    Args:
        handle: str, path-like, or loaded object. A local SavedModel folder, a
            TF Hub / Kaggle URL (resolved and cached by tensorflow_hub under
            `TFHUB_CACHE_DIR`), a registered backbone name, or an object
            already returned by `tf.saved_model.load` (such a layer cannot be
            serialized).
        trainable: bool. Whether the SavedModel's variables are trained.
            Defaults to `False`.
        arguments: dict. Extra keyword arguments passed to every call (JSON
            serializable). Defaults to `None`.
        output_key: str. Key to pick from a dict output. Defaults to `None`.
        signature: str. Name of a signature to call instead of `__call__`
            (inputs are then passed as keyword arguments; not trainable).
            Defaults to `None`.
        signature_outputs_as_dict: bool. With `signature`, return the whole
            output dict instead of `output_key`. Defaults to `None`.
        groups: list. Overrides the derived layer groups: an ordered list
            (input to output) of regexes or `(name, regex)` pairs matched
            against the SavedModel's variable names. Defaults to `None`.
        inference_mode: bool. If True, the SavedModel is always called with
            `training=False` (BatchNorm uses moving statistics, dropout off),
            even while its weights are fine-tuned, as the Keras fine-tuning
            guide recommends for BatchNorm backbones. Defaults to `False`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: a tensor, or a dict of tensors for SavedModels with dict
            inputs (BERT-style `input_word_ids`, `input_mask`,
            `input_type_ids`). Floating inputs are cast to the dtype the
            SavedModel expects, so mixed-precision models work.
        training: bool. Whether the surrounding model is training.

    Returns:
        The SavedModel's output (a tensor, or a dict/list of tensors), with
        floating outputs in the layer's compute dtype.

    Raises:
        FileNotFoundError: if a local path does not exist.
        OSError: if a URL cannot be fetched (the message names the cache).
        ValueError: on an unknown signature or output key (listing the
            available ones), on `trainable=True` with a TF1 Hub-format model
            or a signature, or on inputs of the wrong dtype or rank.

    Example:

    ```python
    backbone = keras_transfer.HubBackbone("/models/image_feature_vector",
                                          trainable=True)
    model = keras.Sequential([
        keras.Input((224, 224, 3)), backbone, keras.layers.Dense(10)])
    ```
    """

    def __init__(
        self,
        handle,
        trainable=False,
        arguments=None,
        output_key=None,
        signature=None,
        signature_outputs_as_dict=None,
        groups=None,
        inference_mode=False,
        **kwargs,
    ):
        super().__init__(trainable=trainable, **kwargs)
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"`arguments` must be a dict. Received: arguments={arguments!r}")
        if isinstance(handle, os.PathLike):
            handle = os.fspath(handle)
        self.handle = handle
        self.arguments = dict(arguments or {})
        self.output_key = output_key
        self.signature = signature
        self.signature_outputs_as_dict = signature_outputs_as_dict
        self.groups = groups
        self.inference_mode = bool(inference_mode)

        self._loaded, self._is_hub_module_v1 = _load(handle, self.trainable)
        if self._is_hub_module_v1:
            self.signature = self.signature or "default"
            if not self.signature_outputs_as_dict:
                self.output_key = self.output_key or "default"
        if self.signature and (
            (self.output_key is not None) == bool(self.signature_outputs_as_dict)
        ):
            raise ValueError(
                "When using a signature, set exactly one of `output_key` or "
                "`signature_outputs_as_dict=True`. Received: "
                f"signature={self.signature!r}, output_key={self.output_key!r}, "
                f"signature_outputs_as_dict={self.signature_outputs_as_dict!r}"
            )
        if not self.signature and self.signature_outputs_as_dict:
            raise ValueError(
                "`signature_outputs_as_dict` is only valid with a `signature`. "
                f"Received: signature_outputs_as_dict={signature_outputs_as_dict!r}"
            )
        self._callable = self._get_callable()
        self._has_training_argument = _accepts_training(self._callable)
        self._input_structure = _input_structure(self._callable, bool(self.signature))

        saved_trainable, saved_all = _saved_variables(self._loaded, self._callable)
        trainable_ids = {id(v) for v in saved_trainable}
        self._saved_names = []
        wrapped = []
        with keras.name_scope(self.name):
            for v in list(saved_trainable) + [v for v in saved_all if id(v) not in trainable_ids]:
                wrapped.append(
                    keras.Variable(
                        initializer=v,
                        trainable=id(v) in trainable_ids,
                        dtype=v.dtype,
                        shape=v.shape,
                        autocast=False,
                        name=_keras_name(v.name),
                    )
                )
                self._saved_names.append(clean_name(v.name))
        self.saved_model_variables = wrapped
        self._declared_trainable = [v.trainable for v in wrapped]
        if not self.trainable:
            for v in wrapped:
                v.trainable = False

        self._regularization_losses = list(getattr(self._loaded, "regularization_losses", []) or [])
        for loss in self._regularization_losses:
            if not callable(loss):
                raise ValueError(
                    "The SavedModel's `regularization_losses` must be callables "
                    f"returning scalars. Found: {loss!r}"
                )
        # Validate group patterns now, so a typo fails at construction.
        self._layer_groups = None
        if groups is not None:
            self.layer_groups  # noqa: B018 (raises on bad patterns)
        self._check_trainability()
        # A restored SavedModel function under XLA was measured recompiling at
        # every training step (benchmarks/hub_overhead.py), so Keras'
        # jit_compile="auto" (XLA on GPUs) must not pick it. Keras 3.15 then
        # also turns an explicit jit_compile=True off, with a warning.
        self.supports_jit = False
        self.built = True

    # ------------------------------------------------------------------ setup
    def _get_callable(self):
        obj = self._loaded
        if callable(obj) and not self.signature:
            return obj
        signatures = getattr(obj, "signatures", None)
        if signatures is None:
            raise ValueError(
                "The loaded object is not callable and has no signatures."
                if not self.signature else "The loaded object has no signatures."
            )
        if self.signature is None:
            raise ValueError(
                "This SavedModel has no `__call__`; pass `signature=` with one of "
                f"{sorted(signatures.keys())}."
            )
        if self.signature not in signatures:
            raise ValueError(
                f"Unknown signature {self.signature!r} in {self.handle!r}. "
                f"Available signatures: {sorted(signatures.keys())}"
            )
        return signatures[self.signature]

    def _check_trainability(self):
        if not self.trainable:
            return
        if (not any(getattr(self, "_declared_trainable", [True]))
                and not getattr(self, "_warned_untrainable", False)):
            # Like hub.KerasLayer's: a fine-tuning run that cannot train it.
            self._warned_untrainable = True
            warnings.warn(
                f"HubBackbone {self.name!r} is trainable, but its SavedModel "
                f"({_printable(self.handle)}) declares no trainable variables, so "
                "fine-tuning will not change it. Export the SavedModel with its "
                "`trainable_variables`, or use trainable=False.",
                stacklevel=3,
            )
        if self._is_hub_module_v1:
            raise ValueError(
                "`trainable=True` is not supported for TF1 Hub-format models "
                f"({self.handle!r}): TF2 cannot run their update ops or "
                "regularizers. Use trainable=False, or a TF2 SavedModel version "
                "of the model."
            )
        if self.signature:
            raise ValueError(
                "`trainable=True` is not supported when calling a signature "
                f"({self.signature!r}): signatures have no training mode or "
                "regularization losses. Call the SavedModel's `__call__` "
                "(signature=None) to fine-tune."
            )

    @property
    def trainable(self):
        return super().trainable

    @trainable.setter
    def trainable(self, value):
        keras.layers.Layer.trainable.fset(self, value)
        if hasattr(self, "_callable"):
            self._check_trainability()

    @property
    def declared_trainable_variables(self):
        """The variables the SavedModel declares trainable (not BN statistics)."""
        return [v for v, declared in zip(self.saved_model_variables, self._declared_trainable)
                if declared]

    @property
    def layer_groups(self):
        """The backbone's variables as `LayerGroup`s, input side first."""
        if self._layer_groups is None:
            grouped = group_names(self._saved_names, self.groups)
            variables = self.saved_model_variables
            self._layer_groups = [
                LayerGroup(
                    f"{self.name}/{name}",
                    [variables[i] for i in indices],
                    owner=self,
                    trainable_variables=[variables[i] for i in indices
                                         if self._declared_trainable[i]],
                )
                for name, indices in grouped
            ]
        return self._layer_groups

    # ------------------------------------------------------------------ call
    def __call__(self, *args, **kwargs):
        # Keras-guide trap (`base(inputs, training=False)` in a functional
        # model): remember an explicit training=False given while building.
        if kwargs.get("training") is False and any(
                isinstance(t, keras.KerasTensor) for t in keras.tree.flatten((args, kwargs))):
            self._built_with_training_false = True
        return super().__call__(*args, **kwargs)

    def _warn_training_overrides_false(self):
        if getattr(self, "_warned_training_override", False):
            return
        self._warned_training_override = True
        warnings.warn(
            f"HubBackbone {self.name!r} was called with `training=False` when the "
            "functional model was built, but the model now runs it with "
            "`training=True`: Keras 3 passes the model's own `training` to every "
            "layer, so its BatchNorm statistics move and dropout is on. To keep it "
            "in inference mode while fine-tuning, create it with "
            "`inference_mode=True` (or use "
            "`keras_transfer.ProgressiveUnfreezing(train_batchnorm=False)`).",
            stacklevel=2,
        )

    def compute_output_shape(self, input_shape):
        """Output shape(s) for `input_shape`, as the SavedModel computes them.

        Traces the SavedModel symbolically (nothing runs), like
        `hub.KerasLayer.compute_output_shape`.

        Args:
            input_shape: tuple, or a dict of tuples for dict inputs.

        Returns:
            A tuple, or a dict/list of tuples matching the output structure
            (after `output_key`).
        """
        spec = self._input_structure

        def tensor_spec(shape, key=None):
            item = spec
            if isinstance(spec, dict):
                item = spec.get(key) if key is not None else (
                    next(iter(spec.values())) if len(spec) == 1 else None)
            dtype = item.dtype if isinstance(item, tf.TensorSpec) else tf.as_dtype(self.compute_dtype)
            return tf.TensorSpec(tuple(shape), dtype)

        if isinstance(input_shape, dict):
            specs = {k: tensor_spec(v, k) for k, v in input_shape.items()}
        else:
            specs = tensor_spec(input_shape)
        traced = tf.function(lambda x: self._forward(x, training=False)).get_concrete_function(specs)
        return tf.nest.map_structure(lambda t: tuple(t.shape.as_list()), traced.structured_outputs)

    def call(self, inputs, training=None):
        result = self._forward(inputs, training)
        if self._regularization_losses and self.trainable:
            self.add_loss(tf.add_n([tf.cast(loss(), "float32") for loss in self._regularization_losses]))
        return result

    def _forward(self, inputs, training):
        """The SavedModel's output for `inputs` (what `call` returns, without losses)."""
        inputs = self._prepare_inputs(inputs)
        args, kwargs = [], dict(self.arguments)
        if self.signature and isinstance(inputs, dict):
            kwargs.update(inputs)
        else:
            args.append(inputs)

        use_training = (
            self._has_training_argument
            and self.trainable
            and not self.inference_mode
            and bool(self.trainable_weights)
        )
        if use_training and training is True and getattr(self, "_built_with_training_false", False):
            self._warn_training_overrides_false()
        if not self._has_training_argument:
            result = self._callable(*args, **kwargs)
        elif not use_training:
            result = self._callable(*args, training=False, **kwargs)
        elif isinstance(training, bool) or training is None:
            result = self._callable(*args, training=bool(training), **kwargs)
        else:
            result = tf.cond(
                tf.cast(training, tf.bool),
                lambda: self._callable(*args, training=True, **kwargs),
                lambda: self._callable(*args, training=False, **kwargs),
            )

        if self.output_key is not None:
            if not isinstance(result, dict):
                raise ValueError(
                    f"`output_key={self.output_key!r}` needs a dict output, but "
                    f"the SavedModel returns {type(result).__name__}."
                )
            if self.output_key not in result:
                raise ValueError(
                    f"Unknown output_key {self.output_key!r}. Available output "
                    f"keys: {sorted(result.keys())}"
                )
            result = result[self.output_key]
        return tf.nest.map_structure(self._cast_output, result)

    def _cast_output(self, tensor):
        if tensor.dtype.is_floating and tensor.dtype != self.compute_dtype:
            return tf.cast(tensor, self.compute_dtype)
        return tensor

    def _prepare_inputs(self, inputs):
        """Checks inputs against the SavedModel's signature; casts floats."""
        spec = self._input_structure
        if spec is None:
            return inputs
        if isinstance(spec, dict):
            if not isinstance(inputs, dict) and self.signature and len(spec) == 1:
                inputs = {next(iter(spec)): inputs}
            if not isinstance(inputs, dict):
                raise ValueError(
                    f"This SavedModel takes a dict of inputs with keys "
                    f"{sorted(spec)}; received a {type(inputs).__name__}."
                )
            missing = sorted(set(spec) - set(inputs))
            if missing:
                raise ValueError(
                    f"Missing input(s) {missing}. The SavedModel takes "
                    f"{sorted(spec)}; received {sorted(inputs)}."
                )
            return {k: _conform(inputs[k], spec[k], k) for k in spec}
        if isinstance(spec, tf.TensorSpec):
            if isinstance(inputs, dict):
                raise ValueError(
                    f"This SavedModel takes a single tensor ({_describe(spec)}); "
                    f"received a dict with keys {sorted(inputs)}."
                )
            return _conform(inputs, spec, "inputs")
        return inputs

    # ------------------------------------------------------------ serialization
    def get_config(self):
        if not isinstance(self.handle, str):
            raise NotImplementedError(
                "A HubBackbone built from a loaded object cannot be serialized; "
                "pass the SavedModel's path or URL as `handle` instead. "
                f"Got type(handle)={type(self.handle).__name__}"
            )
        config = super().get_config()
        config.update(
            {
                "handle": self.handle,
                "arguments": self.arguments or None,
                "output_key": self.output_key,
                "signature": self.signature,
                "signature_outputs_as_dict": self.signature_outputs_as_dict,
                "groups": self.groups,
                "inference_mode": self.inference_mode,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, safe_mode=None):
        """Creates a HubBackbone from its config.

        Loading a SavedModel runs its graph, which may come from anyone, so a
        path or URL handle is refused in Keras' safe mode exactly as
        `keras.layers.TFSMLayer` refuses it: pass `safe_mode=False` to
        `keras.saving.load_model` (or call
        `keras.config.enable_unsafe_deserialization()`) for files you trust.
        A registry name of a backbone that keras_transfer converts itself
        (`"minilm_l6"`, `"efficientnet_lite0/classification"`) loads in safe
        mode: the SavedModel is the library's own conversion in the local
        cache, checked against its manifest, not content of the file.

        Args:
            config: dict. The output of `get_config()`.
            safe_mode: bool. Overrides Keras' safe mode. Defaults to `None`
                (use the current Keras setting).

        Returns:
            A `HubBackbone`.
        """
        if not is_library_conversion(config.get("handle")):
            _check_safe_mode(safe_mode)
        return cls(**config)


# ---------------------------------------------------------------- helpers
def _load(handle, trainable):
    """Returns (loaded object, is TF1 Hub format)."""
    if isinstance(handle, str):
        path = resolve_handle(handle)
        is_v1 = os.path.exists(os.path.join(path, "tfhub_module.pb"))
        if is_v1 and trainable:
            raise ValueError(
                "`trainable=True` is not supported for TF1 Hub-format models "
                f"({handle!r}): TF2 cannot run their update ops or regularizers. "
                "Use trainable=False, or a TF2 SavedModel version of the model."
            )
        try:
            loaded = tf.saved_model.load(path, tags=[] if is_v1 else None)
        except (RuntimeError, tf.errors.NotFoundError) as error:
            if "Op type not registered" not in str(error):
                raise
            _import_text_ops(error)  # TF Hub text preprocessors use tf-text ops
            loaded = tf.saved_model.load(path, tags=[] if is_v1 else None)
        return loaded, is_v1
    if callable(handle) or hasattr(handle, "signatures"):
        return handle, bool(getattr(handle, "_is_hub_module_v1", False))
    raise ValueError(
        "`handle` must be a path, a URL, a registry name, or a loaded SavedModel. "
        f"Received: handle={handle!r}"
    )


def _import_text_ops(error):
    try:
        import tensorflow_text  # noqa: F401 (registers the ops)
    except ImportError:
        raise ImportError(
            f"This SavedModel needs ops that are not in core TensorFlow ({error}). "
            "Text preprocessors use tensorflow-text: "
            "`pip install keras-transfer[text]` (or `pip install tensorflow-text`)."
        ) from error


def _saved_variables(loaded, fn):
    """(trainable, all) variables, as the SavedModel declares them."""
    if hasattr(loaded, "variables") and hasattr(loaded, "trainable_variables"):
        return list(loaded.trainable_variables), list(loaded.variables)
    # Plain SavedModels (signatures only): what the function captures.
    functions = list(getattr(fn, "concrete_functions", None) or [fn])
    trainable, every, seen = [], [], set()
    for cf in functions:
        for v in getattr(cf, "variables", []):
            if id(v) not in seen:
                seen.add(id(v))
                every.append(v)
                if v.trainable:
                    trainable.append(v)
    return trainable, every


def _accepts_training(fn):
    """Whether the SavedModel's `__call__` takes a `training` argument."""
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else getattr(fn, "__call__", fn)
    try:
        return "training" in inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False


def _input_structure(fn, is_signature):
    """The structure of the first input (a TensorSpec or dict of them), if known."""
    if not hasattr(fn, "concrete_functions") and not hasattr(fn, "structured_input_signature"):
        fn = getattr(fn, "__call__", fn)  # a loaded object: its restored __call__
    functions = getattr(fn, "concrete_functions", None)
    cf = functions[0] if functions else fn
    signature = getattr(cf, "structured_input_signature", None)
    if not signature:
        return None
    args, kwargs = signature
    if is_signature:
        return dict(kwargs)
    if args:
        first = args[0]
        if isinstance(first, (tf.TensorSpec, dict)):
            return first
    return None


def _printable(handle):
    """The handle for a message: a string (escaped) or the object's type."""
    return ascii(handle) if isinstance(handle, str) else type(handle).__name__


def _describe(spec):
    return f"dtype={spec.dtype.name}, shape={spec.shape}"


def _conform(tensor, spec, name):
    """Casts floats to the spec's dtype and checks dtype and rank."""
    dtype = tf.as_dtype(tensor.dtype)
    if dtype != spec.dtype:
        if dtype.is_floating and spec.dtype.is_floating:
            tensor = tf.cast(tensor, spec.dtype)
        else:
            raise ValueError(
                f"Input {name!r} has dtype {dtype.name}, but the SavedModel expects "
                f"{_describe(spec)}. For example "
                f"`keras.Input(shape=..., dtype='{spec.dtype.name}')`."
            )
    if spec.shape.rank is not None and tensor.shape.rank is not None:
        if tensor.shape.rank != spec.shape.rank or not spec.shape.is_compatible_with(tensor.shape):
            raise ValueError(
                f"Input {name!r} has shape {tuple(tensor.shape)}, but the "
                f"SavedModel expects {_describe(spec)} (None = any size)."
            )
    return tensor


def _keras_name(name):
    """A Keras variable name (no '/') that still shows the SavedModel path."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "__", clean_name(name)) or "variable"


def _check_safe_mode(safe_mode):
    """Applies Keras' own safe-mode rule for loading external SavedModels."""
    try:
        keras.layers.TFSMLayer.from_config({}, safe_mode=safe_mode)
    except ValueError as error:
        if "safe_mode" in str(error) or "unsafe" in str(error):
            raise ValueError(
                "Refusing to load a HubBackbone from a config in safe mode: it "
                "loads an external SavedModel, whose graph can run arbitrary "
                "code. If you trust the file, pass `safe_mode=False` to "
                "`keras.saving.load_model`, or call "
                "`keras.config.enable_unsafe_deserialization()`."
            ) from None
        raise
    except TypeError:
        return  # Keras allowed it and then failed on the empty config: unsafe is on.
