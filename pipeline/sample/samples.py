"""The sample stage's core: one sample per temperature from the trained model.

In:  the model directory (`model.keras`, `vocab.json`), the validation text (for priming), the
     `sample.*` params and `train.section_length`.
Out: `temperature-<T>.txt` (one file per temperature; the prompt is marked) and `samples.md` (all
     of them, side by side) in the output directory; with the training text, the samples' scores
     (`common/scores.py`) as a DVC metrics file: `temperature-<T>` and `reference` (the same scores of
     the first characters of the validation text, as many as a sample has: what a perfect model reaches).
"""
from __future__ import annotations

import json
from pathlib import Path

from common.generate import generate, load_generator, pick_prompt
from common.scores import Reference
from common.settings import SampleSettings

PROMPT_MARK = "<<<prompt ends here>>>"


def write_samples(model_dir: Path, val_path: Path, out_dir: Path, settings: SampleSettings) -> dict:
    """Generate one sample per temperature in `settings`; return {temperature: text}."""
    stepper, chars = load_generator(model_dir)
    prompt = pick_prompt(settings.prime, val_path, settings.section_length, settings.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = {}
    for temperature in settings.temperatures:
        text = generate(stepper, chars, prompt, length=settings.length, temperature=temperature,
                        seed=settings.seed, top_k=settings.top_k)[0]
        samples[temperature] = text
        (out_dir / f"temperature-{temperature}.txt").write_text(
            f"{prompt}{PROMPT_MARK}\n{text}\n", encoding="utf-8")
    sections = [f"## temperature {t}\n\n```\n{prompt}{PROMPT_MARK}\n{text}\n```\n" for t, text in samples.items()]
    (out_dir / "samples.md").write_text("# Samples\n\n" + "\n".join(sections), encoding="utf-8")
    return samples


def write_scores(samples: dict, train_path: Path, val_path: Path, scores_path: Path) -> dict:
    """Score each sample of `samples` ({temperature: text}) and a slice of the validation text of
    the same length against the training text; write them as JSON to `scores_path` and return them."""
    reference = Reference(Path(train_path).read_text(encoding="utf-8"))
    length = max((len(text) for text in samples.values()), default=0)
    scores = {f"temperature-{t}": reference.score(text) for t, text in samples.items()}
    scores["reference"] = reference.score(Path(val_path).read_text(encoding="utf-8")[:length])
    scores_path.parent.mkdir(parents=True, exist_ok=True)
    scores_path.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    return scores
