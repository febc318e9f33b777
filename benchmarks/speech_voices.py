"""Spoken digits across voices: train on 3 espeak-ng voices, test on 2 never heard in training.

The words "zero".."nine" are spoken by ``espeak-ng`` (written straight to WAV at its own
22.05 kHz; nothing else touches the audio) in 5 English voices, each at several speeds and
pitches. The recordings go through the public pipeline for your own WAV files
(:func:`seqlab.data.audio.read_wav`, resampling to 16 kHz, silence trimming, 13 MFCC +
deltas + per-recording CMVN) inside :class:`seqlab.pipelines.SequenceClassifierPipeline`,
which is trained on the clips of the 3 training voices and scored on the 2 unseen voices.
Also printed: the accuracy on held-out clips of the *training* voices (speeds/pitches not
used for training), the chance level, and the ESN without CMVN.

    python benchmarks/speech_voices.py            # full run, writes results/speech_voices.json
    python benchmarks/speech_voices.py --quick    # fewer clips and epochs, a smoke test
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from seqlab.data.speech import DIGIT_NAMES
from seqlab.pipelines import SequenceClassifierPipeline
from seqlab.training import TrainConfig

TRAIN_VOICES = ("en-us", "en-gb", "en-gb-x-rp")
TEST_VOICES = ("en-gb-scotland", "en-029")
RESULTS = Path(__file__).parent / "results" / "speech_voices.json"


def synthesise(folder: Path, voices: tuple[str, ...], speeds: list[int], pitches: list[int]
               ) -> list[tuple[Path, str, str, int, int]]:
    """WAV files ``folder/<voice>/<digit>_<speed>_<pitch>.wav``; (path, digit, voice, s, p)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        sys.exit("needs espeak-ng (apt-get install espeak-ng)")
    jobs = []
    for voice, word, s, p in itertools.product(voices, DIGIT_NAMES, speeds, pitches):
        (folder / voice).mkdir(parents=True, exist_ok=True)
        jobs.append((folder / voice / f"{word}_{s}_{p}.wav", word, voice, s, p))

    def run(job: tuple[Path, str, str, int, int]) -> None:
        path, word, voice, s, p = job
        subprocess.run([espeak, "-v", voice, "-s", str(s), "-p", str(p), "-w", str(path), word],
                       check=True, capture_output=True)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, jobs))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    speeds = [140, 190] if args.quick else [120, 150, 180, 210]
    pitches = [40, 60] if args.quick else [30, 45, 60, 75]
    epochs = 5 if args.quick else args.epochs
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="seqlab-voices-") as tmp:
        clips = synthesise(Path(tmp), TRAIN_VOICES + TEST_VOICES, speeds, pitches)
        t_synth = time.perf_counter() - t0
        # training voices: one (speed, pitch) combination in four kept aside as "seen voice,
        # new clip"; the test voices are never used for training
        held = {(s, p) for i, (s, p) in enumerate(itertools.product(speeds, pitches))
                if i % 4 == 3}
        train = [c for c in clips if c[2] in TRAIN_VOICES and (c[3], c[4]) not in held]
        seen = [c for c in clips if c[2] in TRAIN_VOICES and (c[3], c[4]) in held]
        unseen = [c for c in clips if c[2] in TEST_VOICES]

        def xy(cs: list[tuple[Path, str, str, int, int]]) -> tuple[list[Path], np.ndarray]:
            return [c[0] for c in cs], np.array([c[1] for c in cs])

        X_tr, y_tr = xy(train)
        X_seen, y_seen = xy(seen)
        X_un, y_un = xy(unseen)
        print(f"{len(clips)} clips synthesised in {t_synth:.1f} s: train {len(X_tr)} "
              f"({', '.join(TRAIN_VOICES)}), seen-voice test {len(X_seen)}, unseen-voice test "
              f"{len(X_un)} ({', '.join(TEST_VOICES)})")
        config = TrainConfig(epochs=epochs, lr=3e-3, batch_size=32, progress=False, seed=0,
                             clip_norm=1.0)
        models = {
            "rnn": SequenceClassifierPipeline("rnn", features="mfcc", cell="lstm",
                                              hidden_size=64, pooling="mean", seed=0),
            "esn": SequenceClassifierPipeline("esn", features="mfcc", n_units=500, seed=0),
            "esn_no_cmvn": SequenceClassifierPipeline("esn", features="mfcc", cmvn=False,
                                                      n_units=500, seed=0),
        }
        results = {}
        for name, clf in models.items():
            t1 = time.perf_counter()
            clf.fit(X_tr, y_tr, config=config)
            fit_s = time.perf_counter() - t1
            results[name] = {
                "train_accuracy": clf.score(X_tr, y_tr),
                "seen_voice_accuracy": clf.score(X_seen, y_seen),
                "unseen_voice_accuracy": clf.score(X_un, y_un),
                "per_unseen_voice": {
                    v: clf.score(*xy([c for c in unseen if c[2] == v])) for v in TEST_VOICES
                },
                "fit_seconds": round(fit_s, 1),
            }
            r = results[name]
            print(f"{name:12s} train {r['train_accuracy']:.3f}  seen voices "
                  f"{r['seen_voice_accuracy']:.3f}  unseen voices "
                  f"{r['unseen_voice_accuracy']:.3f} ("
                  + ", ".join(f"{v} {a:.3f}" for v, a in r["per_unseen_voice"].items())
                  + f")  fit {fit_s:.1f} s")
    print("chance 0.100 (10 balanced classes)")
    doc = {
        "what": "spoken digits by espeak-ng: train on 3 voices, test on 2 unseen voices",
        "train_voices": list(TRAIN_VOICES), "test_voices": list(TEST_VOICES),
        "speeds_wpm": speeds, "pitches": pitches,
        "n_train": len(X_tr), "n_seen_test": len(X_seen), "n_unseen_test": len(X_un),
        "features": "13 MFCC + deltas + delta-deltas, CMVN per recording (unless noted), "
                    "resampled 22.05 -> 16 kHz, silence trimmed",
        "rnn": {"cell": "lstm", "hidden_size": 64, "pooling": "mean", "epochs": epochs,
                "lr": 3e-3, "batch_size": 32},
        "esn": {"n_units": 500, "spectral_radius": 0.9, "leak_rate": 0.3, "ridge": 1e-2},
        "chance": 0.1,
        "results": results,
        "quick": args.quick,
    }
    if not args.quick or args.out != str(RESULTS):
        Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
