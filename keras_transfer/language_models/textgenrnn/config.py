"""textgenrnn 2.0.0 as data: the pinned sdist, its two members, the architecture.

The sdist `textgenrnn==2.0.0` (MIT, Max Woolf; the attention layer is
DeepMoji's, also MIT) holds the pretrained character-level LM that
textgenrnn fine-tunes: `textgenrnn/textgenrnn_weights.hdf5` (Keras 2.1.5,
1,874,468 bytes) and `textgenrnn/textgenrnn_vocab.json` (463 characters plus
the start/end token `<s>`, indices 1-464; 0 is padding). Only those two
members are read (`keras_transfer.backbones.sdists`); no code from the sdist
is imported.
"""

VERSION = "2.0.0"
REQUIREMENT = f"textgenrnn=={VERSION}"
WEIGHTS_MEMBER = f"textgenrnn-{VERSION}/textgenrnn/textgenrnn_weights.hdf5"
VOCAB_MEMBER = f"textgenrnn-{VERSION}/textgenrnn/textgenrnn_vocab.json"
# Members read and their size bounds in bytes (actual: 1,874,468 and 5,079).
MEMBERS = {WEIGHTS_MEMBER: 4 << 20, VOCAB_MEMBER: 1 << 16}

# textgenrnn's default config, which the pretrained weights were trained with.
ARCHITECTURE = {
    "vocab_size": 465,  # 463 characters, "<s>" and padding index 0
    "embedding_dim": 100,
    "rnn_units": 128,
    "rnn_layers": 2,
    "max_length": 40,
}
# Starts every text (and ends a generated one).
START_TOKEN = "<s>"

# The HDF5 datasets read, with their shapes: Keras 2 layer name -> weights.
# The LSTM weights are a cuDNN layer's (one bias per gate for the input and
# one for the recurrent kernel: 2 x 4 x 128 = 1024), see weights.py.
HDF5_WEIGHTS = {
    "embedding": (("embeddings:0", (465, 100)),),
    "rnn_1": (("kernel:0", (100, 512)), ("recurrent_kernel:0", (128, 512)),
              ("bias:0", (1024,))),
    "rnn_2": (("kernel:0", (128, 512)), ("recurrent_kernel:0", (128, 512)),
              ("bias:0", (1024,))),
    "attention": (("attention_W:0", (356, 1)),),
    "output": (("kernel:0", (356, 465)), ("bias:0", (465,))),
}
