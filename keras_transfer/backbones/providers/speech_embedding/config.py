"""speech_embedding as data: the pinned wheel, signal sizes and the network."""

REQUIREMENT = "pyopen-wakeword==1.1.0"
MODELS_DIR = "pyopen_wakeword/models"
MELSPECTROGRAM_FILE = "melspectrogram.tflite"
EMBEDDING_FILE = "embedding_model.tflite"
SAMPLE_RATE = 16000
FFT_LENGTH = 512
HOP_LENGTH = 160
NUM_MEL_BINS = 32
WINDOW_FRAMES = 76
WINDOW_STRIDE = 8
EMBEDDING_DIM = 96
PCM_SCALE = 32768.0
MIN_SAMPLES = FFT_LENGTH + (WINDOW_FRAMES - 1) * HOP_LENGTH

# The embedding network as data: per block, (filters, kernel) of each

# convolution and the max-pool size. (1, 3) kernels are SAME-padded along

# mel bins, (3, x) kernels are VALID; the first convolution is preceded by

# one zero column on each side of the mel axis.
EMBEDDING_BLOCKS = (
    {"convs": ((24, (3, 3)), (24, (1, 3)), (24, (3, 1))), "pool": (2, 2)},
    {"convs": ((48, (1, 3)), (48, (3, 1)), (48, (1, 3)), (48, (3, 1))),
     "pool": (1, 2)},
    {"convs": ((72, (1, 3)), (72, (3, 1)), (72, (1, 3)), (72, (3, 1))),
     "pool": (2, 2)},
    {"convs": ((96, (1, 3)), (96, (3, 1)), (96, (1, 3)), (96, (3, 1))),
     "pool": (1, 2)},
    {"convs": ((96, (1, 3)), (96, (3, 1)), (96, (1, 3)), (96, (3, 1))),
     "pool": (2, 2)},
)
HEAD_CONV = (EMBEDDING_DIM, (3, 1))
