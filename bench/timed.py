"""What the benchmarks that time a whole command share: run it, stream its output, time its lines.

In:  a command line, its working directory and environment.
Out: `run_timed` returns the exit code, the wall time, the CPU seconds the command and its children
     used, and every line of its output (stdout and stderr merged) with the second it appeared,
     counted from the start; the lines are echoed as they come, so a long run shows its progress.
     `machine()` describes the CPU, so a figure can be read against the machine it came from.

Run by itself, `.venv/bin/python bench/timed.py -- COMMAND ...` times any command that way and prints
one JSON line last (wall and CPU seconds, exit code), for a figure that no other script prints.

The command runs in a process group of its own and is ended (SIGTERM, then SIGKILL after a grace
period) if this script stops early, e.g. on Ctrl-C: a benchmark never leaves a trainer behind.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

GRACE_SECONDS = 10


@dataclass
class Timed:
    returncode: int
    wall_s: float
    cpu_s: float
    lines: list  # (seconds since the start, line without its newline)

    def tail(self, n: int = 40) -> str:
        return "\n".join(line for _, line in self.lines[-n:])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _end(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_timed(argv: list[str], cwd: Path, env: dict, *, echo: bool = True) -> Timed:
    """Run `argv` to its end; its output lines, timed. Raises nothing on a non-zero exit: check it."""
    cpu_before, lines = _children_cpu(), []
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1, start_new_session=True)
    try:
        for line in process.stdout:
            lines.append((time.perf_counter() - start, line.rstrip("\n")))
            if echo:
                print(f"  | {line}", end="", flush=True)
        process.wait()
    finally:
        _end(process)
        process.stdout.close()
    return Timed(process.returncode, time.perf_counter() - start, _children_cpu() - cpu_before, lines)


def machine() -> dict:
    """The CPU model and core count, as this machine reports them."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "python": sys.version.split()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="+", help="the command to time (put `--` before it)")
    args = parser.parse_args()
    timed = run_timed(args.command, Path.cwd(), dict(os.environ))
    print(f"{' '.join(args.command)}: exit {timed.returncode}, {timed.wall_s:.1f} s wall, {timed.cpu_s:.1f} CPU-s")
    print(json.dumps({"command": args.command, "returncode": timed.returncode, "wall_s": round(timed.wall_s, 1),
                      "cpu_s": round(timed.cpu_s, 1), **machine()}))
    sys.exit(timed.returncode)


if __name__ == "__main__":
    main()
