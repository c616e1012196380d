import keras
import numpy as np

from keras_transfer.layers.image_augmentation import (
    strong_image_augmentation, weak_image_augmentation)
from keras_transfer.testing import TestCase


class ImageAugmentationTest(TestCase):
    def test_layers_and_identity_outside_training(self):
        weak = weak_image_augmentation()
        self.assertEqual([type(layer).__name__ for layer in weak.layers],
                         ["RandomFlip", "RandomTranslation"])
        self.assertEqual([type(layer).__name__ for layer in
                          weak_image_augmentation(flip=False).layers], ["RandomTranslation"])
        strong = strong_image_augmentation(value_range=(0, 1))
        self.assertEqual([type(layer).__name__ for layer in strong.layers],
                         ["RandAugment", "RandomErasing"])
        images = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
        for pipeline in (weak, strong):
            self.assertAllClose(pipeline(images, training=False), images)

    def test_strong_changes_every_grayscale_image_in_range(self):
        keras.utils.set_random_seed(0)
        images = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
        strong = strong_image_augmentation(value_range=(0, 1), seed=1)
        for _ in range(5):
            views = keras.ops.convert_to_numpy(strong(images, training=True))
            self.assertEqual(views.shape, images.shape)
            # RandomErasing hits every image: none comes back unchanged.
            self.assertTrue(np.all(np.abs(views - images).max(axis=(1, 2, 3)) > 0))

    def test_weak_shift_is_bounded(self):
        image = np.zeros((1, 32, 32, 1), "float32")
        image[0, 16, 16, 0] = 1.0
        weak = weak_image_augmentation(flip=False, translation=0.125, seed=0)
        for _ in range(10):
            view = keras.ops.convert_to_numpy(weak(image, training=True))[0, :, :, 0]
            row, col = np.unravel_index(view.argmax(), view.shape)
            self.assertLessEqual(max(abs(row - 16), abs(col - 16)), 4)  # 12.5% of 32

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`translation` must be"):
            weak_image_augmentation(translation=1.0)
        with self.assertRaisesRegex(ValueError, "`value_range` must be a"):
            strong_image_augmentation(value_range=(1, 0))
        with self.assertRaisesRegex(ValueError, "`num_ops` must be"):
            strong_image_augmentation(num_ops=0)
