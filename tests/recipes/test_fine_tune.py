import keras
import numpy as np
import tensorflow as tf

from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.recipes.fine_tune import fine_tune
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.testing import TestCase
from tests import savedmodels


class FineTuneTest(TestCase):
    def _model(self):
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), name="backbone")
        inputs = keras.Input((8, 8, 3))
        return keras.Model(inputs, keras.layers.Dense(2, name="head")(backbone(inputs)))

    def test_recipe_stages_rates_and_training(self):
        model = self._model()
        x, y = savedmodels.images(32), np.arange(32) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)  # 4 steps per epoch
        initial = [v.numpy().copy() for v in model.get_layer("backbone").trainable_weights]
        self.assertEmpty(initial)  # frozen as built
        history = fine_tune(model, data, epochs=2, head_epochs=1, learning_rate=1e-2,
                            decay=2.0, verbose=0)
        # 4 groups; 3 lower groups unfreeze over the first half (4 steps) of the 8
        # fine-tuning steps, right after the 4 head steps.
        self.assertEqual([(s["step"], s["stage"]) for s in history.stages],
                         [(0, 0), (4, 1), (5, 2), (6, 3)])
        self.assertEqual(history.stages[-1]["trainable_groups"],
                         ["backbone/block1", "backbone/block2", "backbone/top", "head"])
        # Per-group rates follow the same slanted triangular schedule, scaled.
        schedule = SlantedTriangular(1e-2, 12)
        first_epoch_mean = np.mean([float(schedule(s)) for s in range(4)])
        rates = history.group_learning_rates[0]
        self.assertAllClose(rates["head"], first_epoch_mean, rtol=1e-5)
        self.assertAllClose(rates["backbone/block1"], first_epoch_mean / 8, rtol=1e-5)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertLen(model.get_layer("backbone").trainable_weights, 8)

    def test_all_groups_at_once_without_gradual_unfreezing(self):
        model = self._model()
        x, y = savedmodels.images(32), np.arange(32) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
        backbone = model.get_layer("backbone")
        history = fine_tune(model, data, epochs=1, head_epochs=1, learning_rate=1e-2,
                            gradual_unfreezing=False, verbose=0)
        self.assertEqual([(s["step"], s["stage"]) for s in history.stages], [(0, 0), (4, 3)])
        self.assertLen(backbone.trainable_weights, 8)

    def test_errors(self):
        model = self._model()
        data = tf.data.Dataset.from_tensor_slices((savedmodels.images(4), np.zeros(4))).batch(2)
        with self.assertRaisesRegex(ValueError, "`schedule` must be one of"):
            fine_tune(model, data, schedule="cosine")
        with self.assertRaisesRegex(ValueError, r"`epochs` must be an integer >= 0. Received: epochs=-1"):
            fine_tune(model, data, epochs=-1)
        with self.assertRaisesRegex(ValueError, "no known length"):
            fine_tune(model, data.repeat(), epochs=1)
