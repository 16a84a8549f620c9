"""Generation for `scriptlm serve`: a request checked, its model loaded once, and the text streamed as
server-sent events while the stateful generator of `scriptlm generate` writes it on a worker thread.

In:  a request's JSON ({model, prompt, temperature, top_k, length, seed}) and a `Catalog` to find the model.
Out: `Request.parse(body)` (a bad field is `BadRequest`, naming it); `Models.get(catalog, id)` -> (Stepper,
     chars), loaded once per model version; `events(...)`, an async iterator of SSE lines: `text` events
     (JSON strings, in order), then `done`, or `error` with a message; `sse_event` writes one. Leaving the iterator early (the
     client closed, or pressed stop) stops the generation within a few characters.

The same seed gives the same text as `scriptlm generate`: both call `common.generate.generate` with a
callback per step, whose draws are seeded by position. TensorFlow is imported when the first model is
loaded, so the page is up at once.
"""
from __future__ import annotations

import asyncio
import json
import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


MAX_LENGTH = 5000     # characters per request: a page holds it, and a request never runs for long
MAX_PROMPT = 2000
WORKERS = 8           # generations at once (two pages with four columns each); more wait their turn
LOADED = 6            # models kept in memory
EXECUTOR = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="generate")


class BadRequest(ValueError):
    """A field of the request that cannot be used; the message names it and what is allowed."""


class Stopped(Exception):
    """The client went away: the generation ends here."""


def _number(body: dict, key: str, kind, default, low, high):
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (kind is int and value != int(value)):  # finite first: int() of NaN or Infinity raises
        raise BadRequest(f"{key}: {value!r} is not {'a whole number' if kind is int else 'a number'}")
    if not low <= value <= high:
        raise BadRequest(f"{key}: {value} is out of range; give {low} to {high}")
    return kind(value)


@dataclass(frozen=True)
class Request:
    model: str
    prompt: str
    temperature: float
    top_k: int
    length: int
    seed: int

    @classmethod
    def parse(cls, body) -> "Request":
        if not isinstance(body, dict):
            raise BadRequest("send a JSON object: {model, prompt, temperature, top_k, length, seed}")
        model, prompt = body.get("model"), body.get("prompt", "\n")
        if not isinstance(model, str) or not model:
            raise BadRequest("model: choose a model of the list")
        if not isinstance(prompt, str) or not prompt:
            raise BadRequest("prompt: give at least one character")
        if len(prompt) > MAX_PROMPT:
            raise BadRequest(f"prompt: {len(prompt)} characters; at most {MAX_PROMPT}")
        return cls(model, prompt, _number(body, "temperature", float, 0.5, 0.0, 100.0),
                   _number(body, "top_k", int, 0, 0, 1_000_000), _number(body, "length", int, 500, 1, MAX_LENGTH),
                   _number(body, "seed", int, 42, 0, 2**31 - 1))


class Models:
    """Loaded generators by model id and version (a workspace model reloads after a new run), a few at most."""

    def __init__(self):
        self.loaded: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, catalog, model_id: str):
        key = (model_id, catalog.version(model_id))
        with self.lock:  # one load at a time: two pages asking for one model load it once
            if key not in self.loaded:
                from common.generate import load_generator

                self.loaded[key] = load_generator(catalog.model_dir(model_id))
                while len(self.loaded) > LOADED:
                    self.loaded.popitem(last=False)
            self.loaded.move_to_end(key)
            return self.loaded[key]


class Streams:
    """How many generations are running now, and how many were stopped early because their client left
    (the page's status, and the tests' view of a closed client)."""

    def __init__(self):
        self.running, self.stopped, self.lock = 0, 0, threading.Lock()

    def add(self, delta: int, stopped: int = 0) -> None:
        with self.lock:
            self.running += delta
            self.stopped += stopped


def checked_prompt(request: Request, chars: list[str]) -> None:
    """A prompt with characters the model does not know is refused, naming them."""
    from common.generate import SampleError, encode_prompt

    try:
        encode_prompt(request.prompt, chars)
    except SampleError as error:
        raise BadRequest(f"prompt: {error}") from None


def sse_event(kind: str, data) -> str:
    """One server-sent event: its kind, and its data as JSON."""
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


async def events(generator, request: Request, streams: Streams):
    """SSE lines of one generation; `generator` is (Stepper, chars) from `Models.get`."""
    from common.generate import generate

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()
    stepper, chars = generator

    def on_step(step):
        if stop.is_set():
            raise Stopped
        loop.call_soon_threadsafe(queue.put_nowait, ("text", step[0]))

    def work():
        streams.add(1)
        try:
            generate(stepper, chars, request.prompt, length=request.length, temperature=request.temperature,
                     seed=request.seed, top_k=request.top_k, on_step=on_step)
            loop.call_soon_threadsafe(queue.put_nowait, ("done", None))
        except Stopped:
            streams.add(0, stopped=1)
        except Exception as error:  # shown in the page, not lost in the server's log
            loop.call_soon_threadsafe(queue.put_nowait, ("error", f"{type(error).__name__}: {error}"))
        finally:
            streams.add(-1)

    loop.run_in_executor(EXECUTOR, work)
    try:
        while True:
            items = [await queue.get()]
            while not queue.empty():  # what has arrived meanwhile goes in one event: fewer, larger writes
                items.append(queue.get_nowait())
            text = "".join(data for kind, data in items if kind == "text")
            if text:
                yield sse_event("text", text)
            end = next(((kind, data) for kind, data in items if kind != "text"), None)
            if end is not None:  # always the last item: the worker puts it after every character
                yield sse_event(*end)
                return
    finally:
        stop.set()  # the client left, or the generation ended: the worker stops at its next step
