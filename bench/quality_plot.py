"""Draw bench/quality.py's plot: validation loss against training time, recipe by recipe, with the best
n-gram and nanoGPT.

In:  the curves bench/quality.py saved beside its plot (`bench/quality.json`: each recipe's points,
     the best n-gram, nanoGPT's points, the candidate's `--set` keys), or several such files.
Out: the plot (`bench/quality.png` by default): `save_plot(...)`, which bench/quality.py calls after a
     run, or `python bench/quality_plot.py [CURVES ...] [--plot PNG] [--measure M ...]` to redraw it
     from saved curves without training again. Several files go into one plot (`merge`), each
     candidate named by its keys, so runs of one candidate each read as one comparison; nanoGPT's
     points and the n-gram are those of the first file that has them; `--ylim` zooms in. The merged
     curves go beside the plot, as .json.
"""
import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEASURES = {"val_nats": "every character", "nanogpt_metric": "nanoGPT's measure",
            "kept_val_nats": "every character, kept model", "kept_nanogpt_metric": "nanoGPT's measure, kept model"}
STYLES = ("-", "--", ":", "-.")
DRAWN = ("val_nats", "nanogpt_metric")  # the measures drawn unless --measure says otherwise
YLIM = (1.3, 3.8)


def recipe_name(name: str, saved: dict) -> str:
    """A recipe's name in a merged plot: a candidate is named by the keys it set."""
    if name != "candidate":
        return name
    keys = saved.get("candidate") or []
    return "candidate: " + ", ".join(key.removeprefix("train.") for key in keys) if keys else name


def merge(saved_runs: list) -> dict:
    """Several bench/quality.py curve files as one: every recipe, one already there again named with its
    file too (two runs of one recipe show the spread between runs); the n-gram and nanoGPT's points of
    the first file with them."""
    merged = {"results": {}, "best_ngram": None, "nanogpt": []}
    for source, saved in saved_runs:
        for name, result in saved["results"].items():
            label = recipe_name(name, saved)
            if label in merged["results"]:
                label = f"{label} ({Path(source).name})"
            merged["results"][label] = result
        merged["best_ngram"] = merged["best_ngram"] or saved.get("best_ngram")
        merged["nanogpt"] = merged["nanogpt"] or saved.get("nanogpt", [])
    return merged


def save_plot(results: dict, best_ngram: float, nanogpt: list, path: Path,
              measures=DRAWN, ylim=YLIM) -> list:
    """Draws each recipe (a colour each) in each measure (a line style each); returns the legend's labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 6))
    colors = plt.get_cmap("tab10").colors
    for index, (name, result) in enumerate(results.items()):
        minutes = [p["seconds"] / 60 for p in result["curve"]]
        for measure, style in zip(measures, STYLES):
            axes.plot(minutes, [p[measure] for p in result["curve"]], color=colors[index % len(colors)],
                      linestyle=style, label=f"{name}: {MEASURES[measure]}")
    axes.axhline(best_ngram, color="black", linestyle=":", label=f"best n-gram ({best_ngram:.3f})")
    for point in nanogpt:
        axes.plot([point["train_s"] / 60], [point["val_loss"]], "k*", markersize=10, label=point["label"])
    axes.set_ylim(*ylim)
    axes.set_xlabel("training time (minutes, 2 CPU cores)")
    axes.set_ylabel("validation loss (nats per character)")
    axes.set_title("tiny Shakespeare, nanoGPT's split")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return axes.get_legend_handles_labels()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves", type=Path, nargs="*", default=[HERE / "quality.json"],
                        help="the curves bench/quality.py saved (default: bench/quality.json); several go into one plot")
    parser.add_argument("--plot", type=Path, default=HERE / "quality.png", help="where the plot goes")
    parser.add_argument("--measure", action="append", choices=MEASURES, metavar="MEASURE",
                        help=f"a measure to draw, one line style each (repeat; of: {', '.join(MEASURES)}; "
                             f"default: {' and '.join(DRAWN)})")
    parser.add_argument("--ylim", type=float, nargs=2, default=YLIM, metavar=("LOW", "HIGH"),
                        help=f"the loss axis's range (default: {YLIM[0]} {YLIM[1]})")
    args = parser.parse_args()
    saved_runs = []
    for path in args.curves:
        try:
            saved_runs.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as error:
            parser.error(f"{path}: not the curves of a bench/quality.py run ({error}); run it first")
    merged = merge(saved_runs)
    if len(saved_runs) > 1:  # the merged curves beside the plot, so it can be redrawn from one file
        args.plot.with_suffix(".json").write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    save_plot(merged["results"], merged["best_ngram"], merged["nanogpt"], args.plot,
              tuple(dict.fromkeys(args.measure or DRAWN)), args.ylim)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
