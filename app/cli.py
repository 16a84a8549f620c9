"""The `scriptlm` command: `generate` text with a trained model, `serve` a page of the models, run the
offline `demo`, or `serve-offline` the bundled site.

In:  command-line arguments (see `scriptlm --help` and `scriptlm <command> --help`); `generate` takes
     the defaults of --length, --top-k and --seed from `sample.*` of params.yaml (in the working
     directory, else the project's own), as the sample stage does.
Out: generated text streamed to stdout; the models' page (app/server.py); the demo workspace; or the
     offline site served on 127.0.0.1.
`serve-sample`, the old name of `serve-offline`, still works for one release, saying the new name.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from common.arguments import knob_help, knob_number, number
from common.params import ParamsError, load_settings, params_file_here
from common.settings import SampleSettings

# No sample.* key holds these: sample.temperatures is a list (the sample stage writes one sample per
# temperature), and an empty sample.prime means a slice of val.txt, which a model directory lacks.
TEMPERATURE, PRIME = 0.5, "\n"
SERVE, OLD_SERVE = "serve-offline", "serve-sample"   # renamed; the old name works for one release


ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def unescape(text: str) -> str:
    """Turn the escapes \\n, \\t and \\\\ into a newline, a tab and a backslash; leave all else alone."""
    return re.sub(r"\\([nt\\])", lambda match: ESCAPES[match.group(1)], text)


def generate_command(args) -> None:
    from common.generate import SampleError, encode_prompt, generate, load_generator

    if args.unreadable_params:
        sys.exit(f"generate: {args.unreadable_params} (the defaults of --length, --top-k and --seed come from it)")
    try:
        stepper, chars = load_generator(args.model)
        prompt = unescape(args.prime) if args.escapes else args.prime
        encode_prompt(prompt, chars)  # refuse a bad prompt before printing any of it
        stream = None
        if args.num == 1:  # one sample streams as it comes; a batch is printed when done
            sys.stdout.write(prompt)
            stream = lambda step: (sys.stdout.write(step[0]), sys.stdout.flush())
        texts = generate(stepper, chars, prompt, length=args.length, temperature=args.temperature,
                         num=args.num, seed=args.seed, top_k=args.top_k, on_step=stream)
    except SampleError as error:
        sys.exit(f"generate: {error}")
    if args.num == 1:
        print()
    else:
        for i, text in enumerate(texts, 1):
            print(f"\n--- sample {i} ---\n{prompt}{text}")


def demo_command(args) -> None:
    import subprocess

    from app.workspace import run_demo

    try:
        run_demo(Path(args.project), Path(args.dir))
    except subprocess.CalledProcessError as error:
        sys.exit(f"demo: `{' '.join(error.cmd[-2:])}` failed (exit {error.returncode}) in {args.dir}/; "
                 "its output is above. `make clean-demo` starts the demo afresh.")


def serve_command(args) -> None:
    from scrapers.http import ScrapeError
    from scrapers.offline_site import serve_offline_site

    if args.command == OLD_SERVE:
        print(f"scriptlm: {OLD_SERVE} is now {SERVE}; the old name goes in the next release.",
              file=sys.stderr, flush=True)
    try:
        with serve_offline_site(args.root, port=args.port) as urls:
            try:   # from the first line printed: a Ctrl-C as soon as it is read is a clean stop too
                for site, url in urls.items():
                    base = f"{url}/friends" if site == "livesinabox" else url  # the folder of scripts.shtml
                    print(f"{site}: {base}/   scrape it: python -m scrapers {site} --base-url {base} --out /tmp/raw "
                          "--delay 0", flush=True)
                print("Ctrl-C to stop.", flush=True)
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    except ScrapeError as error:
        sys.exit(f"{args.command}: {error}")


def page_command(args) -> None:
    from app.server import serve

    roots = [Path(p) for p in args.workspace] or [Path(".")] + ([Path("demo")] if Path("demo", ".git").exists() else [])
    missing = [str(root) for root in roots if not root.is_dir()]
    if missing:
        sys.exit(f"serve: {missing[0]}: no such directory (give a workspace: a git + DVC repository)")
    try:
        serve(roots, args.host, args.port)
    except OSError as error:
        sys.exit(f"serve: cannot listen on {args.host}:{args.port} ({error.strerror or error}); "
                 "give another --port (0: any free one)")
    except KeyboardInterrupt:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="scriptlm", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    source = params_file_here()
    try:
        sample, unreadable = load_settings(SampleSettings, source), None
    except ParamsError as error:
        sample, unreadable = None, error

    def of_params(name: str) -> str:
        return knob_help(f"sample.{name}", source, "%(default)s" if sample else None)

    gen = commands.add_parser("generate", help="write new script text with a trained model",
                              description="Stream new text from a trained model, after a prompt.",
                              epilog=f"The defaults of --length, --top-k and --seed are sample.* of {source} (params.yaml "
                                     "in the working directory, else the project's own). --temperature and --prime have "
                                     "their own: sample.temperatures is a list (the sample stage writes a sample per "
                                     "temperature), and an empty sample.prime means a slice of val.txt.")
    gen.add_argument("--model", default="models", help="directory with model.keras and vocab.json (default: models)")
    gen.add_argument("--prime", default=PRIME, help="text to start from; with --escapes, \\n is a newline (default: a newline)")
    gen.add_argument("--escapes", action=argparse.BooleanOptionalAction, default=True,
                     help="interpret backslash escapes such as \\n in --prime (default: on)")
    gen.add_argument("--temperature", type=number(float), default=TEMPERATURE,
                     help="0 = greedy; higher = more surprising (default: %(default)s)")
    gen.add_argument("--top-k", type=knob_number("sample.top_k"), default=sample and sample.top_k,
                     help=of_params("top_k"))
    gen.add_argument("--length", type=knob_number("sample.length"), default=sample and sample.length,
                     help=of_params("length"))
    gen.add_argument("--num", type=number(int, above=True), default=1, help="independent samples, generated as one batch (default: 1)")
    gen.add_argument("--seed", type=knob_number("sample.seed"), default=sample and sample.seed,
                     help=of_params("seed"))
    gen.set_defaults(func=generate_command, unreadable_params=unreadable)

    page = commands.add_parser("serve", help="a page on 127.0.0.1 to read, compare and follow the models",
                               description="Serve a local page that streams new scripts from any trained model (the "
                                           "workspace's, the demo's, every DVC experiment and commit), compares two to "
                                           "four side by side with their curves against the n-gram, and follows a "
                                           "running training.")
    page.add_argument("--port", type=number(int, maximum=65535), default=8000, help="port to listen on; 0: a free one (default: 8000)")
    page.add_argument("--host", default="127.0.0.1",
                      help="address to bind (default: 127.0.0.1, this machine only); anything else lets other "
                           "machines use the page, and the page says so")
    page.add_argument("--workspace", action="append", default=[], metavar="DIR",
                      help="a git + DVC workspace whose models to list (repeat for several; default: . and demo/ "
                           "if it exists)")
    page.set_defaults(func=page_command)

    demo = commands.add_parser("demo", help="run the whole pipeline on the bundled offline site, with a small model",
                               description="Copy the project into its own git + DVC workspace, with the "
                                           "offline site and a small model, and run `dvc repro` there.")
    demo.add_argument("--dir", default="demo", help="workspace directory (default: demo)")
    demo.add_argument("--project", default=".", help="project directory to copy (default: .)")
    demo.set_defaults(func=demo_command)

    serve = commands.add_parser(SERVE, aliases=[OLD_SERVE],
                                help=f"serve the bundled offline site on 127.0.0.1 to browse it "
                                     f"({OLD_SERVE}: its old name)")
    serve.add_argument("--root", default="offline_site", help="offline site directory (default: offline_site)")
    serve.add_argument("--port", type=number(int), default=0,
                       help="serve IMSDb on this port and livesinabox on the next; 0: free ports (default: 0)")
    serve.set_defaults(func=serve_command)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
