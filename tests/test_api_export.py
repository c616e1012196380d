"""`keras_transfer_export`: public names, Keras-only registration, `custom_objects`."""

import inspect
import json
import os
import re
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_transfer
from keras_transfer import api_export
from keras_transfer.api_export import keras_transfer_export
from keras_transfer.testing import TestCase

ROOT = Path(__file__).resolve().parent.parent

# Every Keras object of the public API: what `.keras` files may name.
KERAS_OBJECTS = {
    "AttentionWeightedAverage", "BackupAndRestore", "CTCHead", "CTCLoss", "CharacterErrorRate",
    "ClassificationHead", "ConsistencyModel", "CoralLoss",
    "DiscriminativeLR",
    "DiscriminativeOptimizer", "GradientReversal", "GradientReversalScheduler", "HubBackbone",
    "L2SP", "MMDLoss",
    "LRFinder", "MaskedLanguageModel", "OneCycle", "ProgressiveUnfreezing", "PrototypicalHead",
    "ProtoNet",
    "ScaledSchedule",
    "SlantedTriangular", "TrimPadding", "WordErrorRate", "YoloHead", "YoloLoss",
}
# Provider-internal layers are registered where they live (their models are
# saved as `.keras` in tests), not exported.
PROVIDERS = "keras_transfer.backbones.providers"


def _registered_here():
    """Registered name -> object for keras_transfer objects outside the providers."""
    return {name: obj for name, obj in keras.saving.get_custom_objects().items()
            if name.startswith("keras_transfer>")
            and not obj.__module__.startswith(PROVIDERS)}


def _attribute(dotted):
    obj = keras_transfer
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


class KerasTransferExportTest(TestCase):
    def setUp(self):
        super().setUp()
        self._public_api = dict(api_export.PUBLIC_API)
        self._custom_objects = dict(keras.saving.get_custom_objects())

    def tearDown(self):
        # Probes decorated here must not leak into the other tests' registry.
        api_export.PUBLIC_API.clear()
        api_export.PUBLIC_API.update(self._public_api)
        registry = keras.saving.get_custom_objects()
        registry.clear()
        registry.update(self._custom_objects)
        super().tearDown()

    def test_registers_keras_objects_under_their_public_names(self):
        class ProbeLayer(keras.layers.Layer):
            pass

        class ProbeCallback(keras.callbacks.Callback):
            def get_config(self):
                return {}

        class ProbeSchedule(keras.optimizers.schedules.LearningRateSchedule):
            def __call__(self, step):
                return 0.1

            def get_config(self):
                return {}

        class ProbeOptimizer(keras.optimizers.SGD):
            pass

        for cls in (ProbeLayer, ProbeCallback, ProbeSchedule, ProbeOptimizer):
            public = f"keras_transfer.probes.{cls.__name__}"
            self.assertIs(keras_transfer_export(public)(cls), cls)
            self.assertIs(api_export.PUBLIC_API[public], cls)
            self.assertIs(keras.saving.get_registered_object(f"keras_transfer>{cls.__name__}"),
                          cls)
            self.assertEqual(keras.saving.get_registered_name(cls),
                             f"keras_transfer>{cls.__name__}")
        self.assertIs(api_export.custom_objects()["keras_transfer>ProbeSchedule"],
                      ProbeSchedule)
        # A registered schedule deserializes by its registered name.
        config = keras.saving.serialize_keras_object(ProbeSchedule())
        self.assertEqual(config["registered_name"], "keras_transfer>ProbeSchedule")
        self.assertIsInstance(keras.saving.deserialize_keras_object(config), ProbeSchedule)

    def test_exports_functions_and_plain_classes_without_registering_them(self):
        def probe_function():
            return 1

        class ProbePlain:
            pass

        names = ["keras_transfer.probe_function", "keras_transfer.probes.probe_function"]
        self.assertIs(keras_transfer_export(names)(probe_function), probe_function)
        self.assertIs(keras_transfer_export("keras_transfer.ProbePlain")(ProbePlain),
                      ProbePlain)
        for name in names:
            self.assertIs(api_export.PUBLIC_API[name], probe_function)
        self.assertIs(api_export.PUBLIC_API["keras_transfer.ProbePlain"], ProbePlain)
        registry = keras.saving.get_custom_objects()
        self.assertNotIn("keras_transfer>probe_function", registry)
        self.assertNotIn("keras_transfer>ProbePlain", registry)
        self.assertNotIn("keras_transfer>probe_function", api_export.custom_objects())

    def test_rejects_bare_use_bad_names_and_non_exportables(self):
        class ProbeLayer(keras.layers.Layer):
            pass

        with self.assertRaisesRegex(TypeError, r"`path` must be a public name.*Received: "
                                               r"path=<class '.*ProbeLayer'>"):
            keras_transfer_export(ProbeLayer)
        with self.assertRaisesRegex(TypeError, r"Received: path=\[\]"):
            keras_transfer_export([])
        with self.assertRaisesRegex(ValueError, r"must start with 'keras_transfer.'. "
                                                r"Received: path='HubBackbone'"):
            keras_transfer_export("HubBackbone")
        with self.assertRaisesRegex(TypeError, r"decorates classes and functions. "
                                               r"Received: 3 for path='keras_transfer.x'"):
            keras_transfer_export("keras_transfer.x")(3)
        with self.assertRaisesRegex(ValueError, r"'keras_transfer.HubBackbone' is already "
                                                r"exported for keras_transfer.layers"):
            keras_transfer_export("keras_transfer.HubBackbone")(ProbeLayer)
        self.assertIs(api_export.PUBLIC_API["keras_transfer.HubBackbone"],
                      keras_transfer.HubBackbone)
        self.assertNotIn("keras_transfer>ProbeLayer", keras.saving.get_custom_objects())

    def test_every_public_name_resolves_to_its_object(self):
        self.assertGreaterEqual(len(api_export.PUBLIC_API), 27)
        for name, obj in api_export.PUBLIC_API.items():
            self.assertIs(_attribute(name), obj, name)
        # What keras_transfer/__init__.py and keras_transfer/data/__init__.py
        # import is reachable, and every Keras class among it is exported.
        for package in ("keras_transfer", "keras_transfer.data"):
            init = ROOT.joinpath(*package.split("."), "__init__.py").read_text()
            names = re.findall(r"^from \S+ import (\w+)", init, re.M)
            self.assertGreater(len(names), 10, package)
            for name in names:
                obj = _attribute(f"{package}.{name}")
                if api_export.is_serializable(obj):
                    self.assertIs(api_export.PUBLIC_API.get(f"{package}.{name}"), obj, name)
        self.assertTrue(inspect.ismodule(keras_transfer.data))
        self.assertIs(keras_transfer.data.from_arrays,
                      keras_transfer.data.loaders.from_arrays)

    def test_registered_objects_are_exactly_the_public_keras_objects(self):
        registered = _registered_here()
        self.assertEqual({name.split(">")[1] for name in registered}, KERAS_OBJECTS)
        self.assertEqual(len(registered), len(KERAS_OBJECTS))
        self.assertEqual(api_export.custom_objects(), registered)
        for obj in registered.values():
            self.assertTrue(api_export.is_serializable(obj), obj)
            self.assertIs(getattr(keras_transfer, obj.__name__), obj)
        # The public functions are exported, not registered.
        self.assertIs(api_export.PUBLIC_API["keras_transfer.report.write_report"],
                      keras_transfer.write_report)
        self.assertNotIn("keras_transfer>write_report", keras.saving.get_custom_objects())
        self.assertNotIn("keras_transfer>build_image_classifier",
                         keras.saving.get_custom_objects())


LOAD_IN_FRESH_PROCESS = """
import json, sys
sys.path.insert(0, {root!r})
import keras, numpy as np

def attempt(**kwargs):
    try:
        model = keras.saving.load_model({path!r}, **kwargs)
    except TypeError as error:
        return str(error)
    return {{"predictions": model(np.load({x!r})).numpy().tolist(),
            "schedule": model.optimizer.get_config()["learning_rate"]["class_name"]}}

result = {{"without_import": attempt()}}
import keras_transfer
result["after_import"] = attempt()
objects = keras_transfer.custom_objects()
keras.saving.get_custom_objects().clear()
result["cleared"] = attempt()
result["custom_objects"] = attempt(custom_objects=objects)
print(json.dumps(result))
"""


class LoadWithoutImportTest(TestCase):
    def test_keras_file_needs_import_or_custom_objects(self):
        inputs = keras.Input((4,))
        model = keras.Model(inputs, keras_transfer.ClassificationHead(3)(inputs))
        model.compile(
            optimizer=keras.optimizers.SGD(keras_transfer.OneCycle(0.1, total_steps=10)),
            loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
        directory = self.temp_dir()
        path, x_path = os.path.join(directory, "m.keras"), os.path.join(directory, "x.npy")
        model.save(path)
        np.save(x_path, x)
        expected = model(x).numpy()

        out = self.run_in_subprocess(
            LOAD_IN_FRESH_PROCESS.format(root=str(ROOT), path=path, x=x_path))
        result = json.loads(out.strip().splitlines()[-1])

        self.assertIn("Could not locate class 'ClassificationHead'", result["without_import"])
        self.assertIn("Could not locate class 'ClassificationHead'", result["cleared"])
        for key in ("after_import", "custom_objects"):
            self.assertAllClose(np.array(result[key]["predictions"]), expected, atol=1e-6)
            self.assertEqual(result[key]["schedule"], "OneCycle")


@pytest.mark.parametrize("name", sorted(keras_transfer.custom_objects()))
def test_every_registered_object_deserializes(name):
    """Registered means `deserialize_keras_object` can rebuild it from its config."""
    import json

    cls = keras_transfer.custom_objects()[name]
    assert callable(getattr(cls, "from_config", None)), name
    samples = {
        "DiscriminativeLR": lambda: cls(lr_range=slice(1e-2), verbose=0),
        "ProgressiveUnfreezing": lambda: cls(every=2, verbose=0),
        "OneCycle": lambda: cls(1e-2, 100),
        "SlantedTriangular": lambda: cls(1e-2, 100),
        "GradientReversal": lambda: cls(coefficient=0.5),
        "GradientReversalScheduler": lambda: cls(total_steps=100, max_coefficient=0.1),
        "MMDLoss": lambda: cls(kernel_multipliers=[0.5, 1.0]),
        "CoralLoss": lambda: cls(),
    }
    if cls.__name__ not in samples:
        return  # layers/optimizers/schedules with required handles are covered elsewhere
    obj = samples[cls.__name__]()
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))
    rebuilt = keras.saving.deserialize_keras_object(config)
    assert type(rebuilt) is cls
    assert json.dumps(rebuilt.get_config(), sort_keys=True) == json.dumps(
        obj.get_config(), sort_keys=True)
