"""One server for ``bench/form_capture.py``, run in its own process like ``pheu serve`` (one uvicorn worker).

``--app form`` serves the real Phễu app on ``--db-url`` with a rate limiter whose limit is out of reach,
because the whole benchmark posts from one address (the default allows 10 a minute per address).
``--app bare`` serves a FastAPI app with one ``POST /f/{slug}`` that parses the same form body and answers
200: the floor the framework and server set on this machine.

    uv run python bench/form_server.py --app form --db-url sqlite:////tmp/x.db --port 8123
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pheu.capture.spam import SlidingWindowLimiter
from pheu.web.app import served_app

# Far above what one address can post in a minute here; the limiter's code still runs on every request.
BENCH_RATE_LIMIT = 1_000_000_000


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/f/{slug}")
    async def submit(request: Request, slug: str) -> JSONResponse:
        data = await request.form()
        return JSONResponse({"status": "ok", "slug": slug, "fields": len(data)})

    return app


def form_app(db_url: str) -> FastAPI:
    """As ``pheu serve`` runs it: submissions are answered once stored, and a lander process lands them."""
    app = served_app(db_url)
    app.state.form_rate_limiter = SlidingWindowLimiter(limit=BENCH_RATE_LIMIT)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", choices=["form", "bare"], required=True)
    parser.add_argument("--db-url", default="")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = form_app(args.db_url) if args.app == "form" else bare_app()
    # log_level "warning" also silences the per-request access log, for both apps alike.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
