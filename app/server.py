"""`scriptlm serve`: a page on 127.0.0.1 that streams new scripts from any trained model, side by side, with
each model's curve against its n-gram, and follows a running training.

In:  workspace directories (`Catalog`), the host and port to bind (loopback unless `--host` says otherwise).
Out: a Starlette app (`make_app`), run by uvicorn (`serve`), with these routes:
     GET  /                 the page (app/static/, served by the app itself: it works offline)
     GET  /api/info         the bind address, whether it is reachable from other machines, the default prompt
     GET  /api/models       the models and their headline numbers (?refresh=1 reads them again)
     GET  /api/curve?model= a model's validation curve per epoch and its n-gram line
     GET  /api/live?model=  server-sent events: a workspace's curve and latest preview, whenever they change
     POST /api/generate     server-sent events: the text as it is generated (app/generation.py)
     GET  /api/status       generations running now, and those stopped early because their client left
A bad request is a 400 (404 for a model not in the list) with {"error": what to do}.
"""
from __future__ import annotations

import asyncio
import ipaddress
import signal
import socket
import tempfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HTTPRequest
from starlette.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app import runfiles
from app.catalog import Busy, Catalog, UnknownModel
from app.generation import MAX_LENGTH, BadRequest, Models, Request, Streams, checked_prompt, events, sse_event

STATIC = Path(__file__).resolve().with_name("static")
POLL = 1.0  # seconds between two looks at a running training's files
NO_CACHE = {"Cache-Control": "no-store"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=NO_CACHE)


def exposed(host: str) -> bool:
    """Whether a server bound to `host` is reachable from other machines (anything but loopback)."""
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def make_app(catalog: Catalog, host: str = "127.0.0.1") -> Starlette:
    models, streams = Models(), Streams()
    first = catalog.roots[0] if catalog.roots else Path(".")
    train_text = first / "data" / "corpus" / "train.txt"
    prompt = runfiles.default_prompt(train_text.read_text(encoding="utf-8") if train_text.exists() else None)

    async def page(request):
        return FileResponse(STATIC / "index.html", headers=NO_CACHE)

    async def info(request):
        return JSONResponse({"host": host, "exposed": exposed(host), "prompt": prompt, "max_length": MAX_LENGTH,
                             "workspaces": [str(root) for root in catalog.roots]}, headers=NO_CACHE)

    async def listing(request):
        found = await run_in_threadpool(catalog.models, request.query_params.get("refresh") == "1")
        return JSONResponse({"models": found, "problems": catalog.problems}, headers=NO_CACHE)

    async def curve(request):
        try:
            return JSONResponse(await run_in_threadpool(catalog.curve, request.query_params.get("model", "")),
                                headers=NO_CACHE)
        except UnknownModel as error:
            return _error(404, error.args[0])

    async def live(request):
        model_id = request.query_params.get("model", "")
        try:
            await run_in_threadpool(catalog.live, model_id)
        except UnknownModel as error:
            return _error(404, error.args[0])

        async def updates():
            seen = None
            while True:
                now = await run_in_threadpool(catalog.live, model_id)
                if now["signature"] != seen:
                    seen = now["signature"]
                    yield sse_event("update", now)
                await asyncio.sleep(POLL)

        return StreamingResponse(updates(), media_type="text/event-stream", headers=NO_CACHE)

    async def generation(request: HTTPRequest):
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "send a JSON object: {model, prompt, temperature, top_k, length, seed}")
        try:
            wanted = Request.parse(body)
            generator = await run_in_threadpool(models.get, catalog, wanted.model)
            checked_prompt(wanted, generator[1])
        except BadRequest as error:
            return _error(400, str(error))
        except UnknownModel as error:
            return _error(404, error.args[0])
        except (Busy, FileNotFoundError, ValueError) as error:  # ValueError: common.generate's SampleError, a
            return _error(409, str(error))                      # model file that does not load
        return StreamingResponse(events(generator, wanted, streams), media_type="text/event-stream", headers=NO_CACHE)

    async def status(request):
        return JSONResponse({"generating": streams.running, "stopped_early": streams.stopped}, headers=NO_CACHE)

    return Starlette(routes=[
        Route("/", page), Route("/api/info", info), Route("/api/models", listing), Route("/api/curve", curve),
        Route("/api/live", live), Route("/api/generate", generation, methods=["POST"]), Route("/api/status", status),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); connections wait in its backlog until the
    server accepts them, so the address can be printed before the server starts."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    return sock


def _stop_as_ctrl_c(signum, frame):
    raise KeyboardInterrupt  # unwinds through serve()'s `with`, which removes the scratch directory


def serve(roots: list[Path], host: str, port: int) -> None:
    """Serve the page until Ctrl-C, SIGTERM or SIGHUP (each a clean stop); prints its address first."""
    import uvicorn

    # uvicorn stops gracefully on SIGTERM, then raises it again for the handler it found: Python's default
    # would kill the process before the scratch directory (copies of models) is removed. SIGHUP likewise.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` asked to ignore SIGHUP: keep it so
            signal.signal(signum, _stop_as_ctrl_c)

    sock = bound_socket(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    with tempfile.TemporaryDirectory(prefix="scriptlm-serve-") as scratch:
        app = make_app(Catalog(roots, Path(scratch)), bound_host)
        print(f"scriptlm serve: http://{shown}:{bound_port}/  (Ctrl-C to stop)", flush=True)
        if exposed(bound_host):
            print(f"scriptlm serve: bound to {bound_host}, so any machine that reaches this one can use the page "
                  "and its models; the default, without --host, is 127.0.0.1", flush=True)
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
        uvicorn.Server(config).run(sockets=[sock])
