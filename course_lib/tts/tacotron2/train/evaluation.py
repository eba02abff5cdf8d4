"""Scoring a Tacotron 2 while and after it trains: teacher-forced validation, free-running synthesis."""

from __future__ import annotations

import math
import warnings

import torch

from course_lib.tts.metrics.alignment import alignment_scores, is_aligned, mean_scores
from course_lib.tts.tacotron2 import Tacotron2

from .data import TrainData
from .losses import tacotron2_loss


def _match_rows(text: torch.Tensor, pairs) -> list[int]:
    """Which input pair each (length-sorted) collated row came from."""
    used, order = set(), []
    for row in text:
        for i, (ids, _) in enumerate(pairs):
            if i not in used and len(ids) <= len(row) and torch.equal(row[: len(ids)], ids) and \
                    (len(ids) == len(row) or int(row[len(ids):].abs().sum()) == 0):
                used.add(i), order.append(i)
                break
    return order


@torch.no_grad()
def evaluate(model: Tacotron2, data: TrainData, n: int = 16, seed: int = 1234,
             per_utterance: bool = False) -> tuple[dict, torch.Tensor]:
    """Teacher-forced validation losses and alignment scores on the first ``n`` val utterances.

    Runs with its own RNG (prenet dropout stays on), so it never changes the training's random stream;
    the model may sit on any device (the scores are computed on the CPU).
    Returns ``(metrics, alignment of val utterance 0 [decoder_steps, text])``; with ``per_utterance``
    the metrics also hold ``"per_utterance"``: each utterance's :class:`AlignmentScores`, in val order.
    """
    pairs = [data.val[i] for i in range(min(n, len(data.val)))]
    r = model.config.n_frames_per_step
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        was_training = model.training
        model.eval()
        text, text_lengths, mels, gates, mel_lengths = data.collate(pairs, r)
        out = model(*(t.to(device) for t in (text, text_lengths, mels, mel_lengths)))
        model.train(was_training)
    out = type(out)(*(t.float().cpu() for t in out))  # scored on the CPU
    terms = tacotron2_loss(out, mels, gates, mel_lengths, text_lengths, r)
    metrics = {f"val_{k}": float(v) for k, v in terms.items()}
    order = _match_rows(text, pairs)
    first = None
    if data.val_utterances is not None:
        scores = [None] * len(pairs)
        for row, i in enumerate(order):
            steps = math.ceil(int(mel_lengths[row]) / r)
            a = out.alignments[row, :steps, : int(text_lengths[row])]
            scores[i] = alignment_scores(a, data.val_utterances[i], int(mel_lengths[row]), r)
        metrics.update(mean_scores(scores))
        if per_utterance:
            metrics["per_utterance"] = scores
    row0 = order.index(0)
    first = out.alignments[row0, : math.ceil(int(mel_lengths[row0]) / r), : int(text_lengths[row0])]
    return metrics, first.clone()


@torch.no_grad()
def evaluate_free_running(model: Tacotron2, data: TrainData, n: int = 8, seed: int = 1234,
                          max_length_ratio: float = 2.0) -> dict:
    """Synthesise the first ``n`` val utterances from text alone and score them.

    ``length_ratio``: predicted / true frames (1 = the stop token fired on time); ``stopped``: share
    that produced a stop token; alignment scores use the time-stretched ground truth
    (:func:`~course_lib.tts.metrics.alignment.alignment_scores` with ``rescale=True``), beside the
    constant-speed line over the predicted steps (``free_baseline_…``); ``free_aligned``:
    :func:`~course_lib.tts.metrics.alignment.is_aligned` on them — does it speak the sentence in order,
    with the speech's timing, better than a constant-speed reading?
    """
    r = model.config.n_frames_per_step
    ratios, stopped, scores = [], 0, []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (ids, mel) in enumerate(data.val[:n]):
            limit = math.ceil(max_length_ratio * mel.shape[1] / r)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = model.inference(ids, max_decoder_steps=limit)
            stopped += not any("max_decoder_steps" in str(w.message) for w in caught)
            frames = int(out.lengths[0])
            ratios.append(frames / mel.shape[1])
            if data.val_utterances is not None:
                a = out.alignments[0, : math.ceil(frames / r)]
                scores.append(alignment_scores(a, data.val_utterances[i], mel.shape[1], r, rescale=True))
    result = {"length_ratio": sum(ratios) / len(ratios), "stopped": stopped / len(ratios),
              "length_ratios": [round(x, 3) for x in ratios]}
    if scores:
        result.update({f"free_{k}": v for k, v in mean_scores(scores).items()})
        result["free_aligned"] = is_aligned(result, prefix="free_")
    return result
