"""The sample stage's core: one sample per temperature from the trained model.

In:  the model directory (`model.keras`, `vocab.json`), the validation text (for priming), the
     `sample.*` params and `train.section_length`.
Out: `temperature-<T>.txt` (one file per temperature; the prompt is marked) and `samples.md` (all
     of them, side by side) in the output directory.
"""
from __future__ import annotations

from pathlib import Path

from common.generate import generate, load_generator, pick_prompt
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
