"""Draw bench/quality.py's plot: validation loss against training time, recipe by recipe, with the best
n-gram and nanoGPT.

In:  the curves bench/quality.py saved beside its plot (`bench/quality.json`: each recipe's points,
     the best n-gram, nanoGPT's points).
Out: the plot (`bench/quality.png` by default): `save_plot(...)`, which bench/quality.py calls after a
     run, or `python bench/quality_plot.py [CURVES] [--plot PNG]` to redraw it from the saved curves
     without training again.
"""
import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def save_plot(results: dict, best_ngram: float, nanogpt: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 5))
    for (name, result), color in zip(results.items(), ("tab:gray", "tab:orange", "tab:blue")):
        minutes = [p["seconds"] / 60 for p in result["curve"]]
        axes.plot(minutes, [p["val_nats"] for p in result["curve"]], color=color, label=f"{name}: every character")
        axes.plot(minutes, [p["nanogpt_metric"] for p in result["curve"]], color=color, linestyle="--",
                  label=f"{name}: nanoGPT's measure")
    axes.axhline(best_ngram, color="black", linestyle=":", label=f"best n-gram ({best_ngram:.3f})")
    for point in nanogpt:
        axes.plot([point["train_s"] / 60], [point["val_loss"]], "k*", markersize=10, label=point["label"])
    axes.set_ylim(1.3, 3.8)
    axes.set_xlabel("training time (minutes, 2 CPU cores)")
    axes.set_ylabel("validation loss (nats per character)")
    axes.set_title("tiny Shakespeare, nanoGPT's split")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves", type=Path, nargs="?", default=HERE / "quality.json",
                        help="the curves bench/quality.py saved (default: bench/quality.json)")
    parser.add_argument("--plot", type=Path, default=HERE / "quality.png", help="where the plot goes")
    args = parser.parse_args()
    try:
        saved = json.loads(args.curves.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        parser.error(f"{args.curves}: not the curves of a bench/quality.py run ({error}); run it first")
    save_plot(saved["results"], saved["best_ngram"], saved["nanogpt"], args.plot)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
