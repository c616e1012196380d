"""keras_transfer: transfer learning for Keras 3."""
