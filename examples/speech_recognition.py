"""
Title: Speech recognition with a pretrained encoder and CTC
Author: keras_transfer contributors
Date created: 2026/12/02
Last modified: 2026/12/02
Description: Fine-tune a character CTC head (and the encoder) on synthetic
speech, decode with a character language model, and measure CER and WER on
real LibriVox recordings.
"""

"""
## Introduction

A pretrained acoustic encoder (Whisper base's, 512-d every 20 ms, by default)
turns a 16 kHz waveform into frames; `keras_transfer.build_speech_recognizer`
puts a character CTC head on them and compiles the model with
`keras_transfer.CTCLoss` and greedy CER/WER metrics, so plain `model.fit`
trains it. Frames past each clip's end are forced to the CTC blank, so a
padded batch needs no length bookkeeping.

Training speech is synthesized locally with espeak-ng from real English
sentences (Rotten Tomatoes snippets); the test speech is held out twice
(other sentences, other voices), and the five real LibriVox recordings of
Debian's `pocketsphinx-testdata` are transcribed at the end: greedily, by
beam search, and by beam search with a character n-gram language model
fused in (shallow fusion).

Run with `--smoke` for a short check of the same code (speech_embedding,
frozen, a dozen clips).
"""

"""
## Setup
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import keras_transfer  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--smoke", action="store_true",
                    help="Run the same code on a tiny slice (speech_embedding, frozen).")
parser.add_argument("--backbone", default=None,
                    help="Registry audio encoder. Defaults to whisper_base "
                         "(speech_embedding with --smoke).")
args = parser.parse_args()

if args.smoke:
    BACKBONE, TRAINABLE = args.backbone or "speech_embedding", False
    NUM_TRAIN, NUM_TEST, EPOCHS, MAX_SECONDS = 12, 4, 2, 4.0
    LEARNING_RATE = 1e-2
    LM_SENTENCES = 500
else:
    BACKBONE, TRAINABLE = args.backbone or "whisper_base", True
    NUM_TRAIN, NUM_TEST, EPOCHS, MAX_SECONDS = 400, 50, 10, 8.0
    LEARNING_RATE = 3e-4
    LM_SENTENCES = None  # all 4,000
keras.utils.set_random_seed(0)

"""
## Data: synthetic sentences for training, real recordings for testing
"""

vocabulary = keras_transfer.speech.CharacterVocabulary()
train_audio, train_text = keras_transfer.data.load_synthetic_speech(
    "train", num_examples=NUM_TRAIN, max_seconds=MAX_SECONDS)
test_audio, test_text = keras_transfer.data.load_synthetic_speech(
    "test", num_examples=NUM_TEST, max_seconds=MAX_SECONDS)
real_pairs = [(path, text) for path, text
              in keras_transfer.data.read_pocketsphinx_librivox()]
real_audio, real_text = keras_transfer.data.load_transcribed_audio(real_pairs)
keep = [i for i, w in enumerate(real_audio) if len(w) <= MAX_SECONDS * 16000]
real_audio = [real_audio[i] for i in keep]
real_text = [vocabulary.normalize(real_text[i]) for i in keep]
print(f"train: {len(train_audio)} synthetic clips, e.g. {train_text[0]!r}")
print(f"real LibriVox clips that fit in {MAX_SECONDS:g} s: {len(real_audio)}")

max_samples = int(MAX_SECONDS * 16000)
x_train = keras_transfer.data.pad_speech(train_audio, max_samples)
y_train = vocabulary.encode(train_text)

"""
## The model

The encoder's layer groups (`keras_transfer.get_layer_groups`) drive
`ProgressiveUnfreezing`: first the head alone, then one more encoder group
per epoch from the top.
"""

model = keras_transfer.build_speech_recognizer(
    BACKBONE, vocabulary, max_seconds=MAX_SECONDS, trainable=TRAINABLE,
    learning_rate=LEARNING_RATE, seed=0)
groups = [g.name for g in keras_transfer.get_layer_groups(model)]
print(f"layer groups: {groups}")
callbacks = [keras_transfer.ProgressiveUnfreezing(every=1)] if TRAINABLE else []
start = time.perf_counter()
history = model.fit(x_train, y_train, batch_size=8, epochs=EPOCHS,
                    callbacks=callbacks, verbose=2)
train_seconds = time.perf_counter() - start

"""
## A character language model

`keras_transfer.speech.CharacterNgramModel` counts character 5-grams
(Kneser-Ney smoothing) in sentences: here the Rotten Tomatoes training
snippets (never the test sentences). Beam search can then rank each prefix
by `log P_ctc + alpha * log P_lm + beta * length`. The LM knows which
spellings are English-like, the acoustic model only what it heard.
`keras_transfer.speech.TextgenrnnLanguageModel` (a pretrained character
LSTM) offers the same interface, slower.
"""

lm_sentences = keras_transfer.data.load_dataset("rotten_tomatoes", split="train").x
lm_sentences = list(lm_sentences)[:LM_SENTENCES]
language_model = keras_transfer.speech.CharacterNgramModel(lm_sentences, vocabulary,
                                                           order=5)
print(f"LM: {language_model.num_sentences} sentences; log P('the film is good') = "
      f"{language_model.score('the film is good'):.1f}, "
      f"log P('teh fllm iz gud') = {language_model.score('teh fllm iz gud'):.1f}")
ALPHA, BETA = 0.5, 1.0

"""
## Transcribe: greedy, beam search, beam search with the LM
"""


def rates(audio, texts, strategy, **fusion):
    hypotheses = keras_transfer.speech.transcribe(model, audio, vocabulary,
                                                  strategy=strategy, beam_width=16,
                                                  **fusion)
    return keras_transfer.evaluation.transcript_error_rates(texts, hypotheses), hypotheses


start = time.perf_counter()
synthetic, _ = rates(test_audio, test_text, "greedy")
seconds = sum(len(w) for w in test_audio) / 16000
real_time_factor = (time.perf_counter() - start) / seconds
real_greedy, hypotheses = rates(real_audio, real_text, "greedy")
real_beam, _ = rates(real_audio, real_text, "beam_search")
real_lm, lm_hypotheses = rates(real_audio, real_text, "beam_search",
                               language_model=language_model, alpha=ALPHA, beta=BETA)
print(f"real clip: {real_text[0]!r} -> {hypotheses[0]!r} (greedy), "
      f"{lm_hypotheses[0]!r} (with the LM)")

print("\nResults")
print(f"backbone: {BACKBONE} (trainable={TRAINABLE})")
print(f"train loss: {history.history['loss'][0]:.3f} -> {history.history['loss'][-1]:.3f}")
print(f"training time: {train_seconds:.1f} s")
print(f"synthetic held-out CER: {synthetic['cer']:.4f} WER: {synthetic['wer']:.4f}")
print(f"real LibriVox CER (greedy): {real_greedy['cer']:.4f} WER: {real_greedy['wer']:.4f}")
print(f"real LibriVox CER (beam search): {real_beam['cer']:.4f} "
      f"WER: {real_beam['wer']:.4f}")
print(f"real LibriVox CER (beam search + LM, alpha={ALPHA}, beta={BETA}): "
      f"{real_lm['cer']:.4f} WER: {real_lm['wer']:.4f}")
print(f"real-time factor (greedy, synthetic test): {real_time_factor:.3f}")
