"""skucut serve: the HTTP API and web page on uvicorn (needs the [serve] extra)."""

from __future__ import annotations

from skucut.cli._common import fail
from skucut.errors import SkucutError


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the HTTP API and web page")
    p.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to listen on all interfaces")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--models",
        "--model",
        dest="models",
        action="append",
        default=None,
        metavar="NAME[,NAME...]",
        help="serve only these models, loaded at start (names or .onnx paths; comma-separated "
        "or repeated); default: every installed segmentation model",
    )
    p.add_argument("--concurrency", type=int, default=None, help="images at once (cores)")
    p.add_argument("--queue-size", type=int, default=None, help="waiting requests before 503")
    p.add_argument("--timeout", type=float, default=None, help="seconds per request")
    p.add_argument("--max-upload-mb", type=float, default=None)
    p.add_argument("--allow-url", action="store_true", default=None, help="accept ?url= inputs")
    p.add_argument(
        "--api-key",
        action="append",
        default=None,
        help="require this X-API-Key (repeat for several; or SKUCUT_API_KEYS=a,b)",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        import uvicorn

        from skucut.serve import ServeSettings, create_app
        from skucut.serve.models import ServedModels
    except ImportError as exc:
        fail(f"serving needs the serve extra: pip install 'skucut[serve]' ({exc.name} missing)")
        return 2
    try:
        settings = ServeSettings.from_env(
            models=_split_names(args.models),
            concurrency=args.concurrency,
            queue_size=args.queue_size,
            timeout_s=args.timeout,
            max_upload_bytes=int(args.max_upload_mb * 1024 * 1024) if args.max_upload_mb else None,
            allow_url=args.allow_url,
            api_keys=frozenset(args.api_key) if args.api_key is not None else None,
        )
        # Loaded here as well as in the app's start-up, so a bad model is one line, not a
        # server traceback (the app finds them loaded).
        ServedModels.of(settings.models).load()
        app = create_app(settings)
    except SkucutError as exc:
        fail(str(exc))
        return exc.exit_code
    except ValueError as exc:
        fail(str(exc))
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _split_names(values: list[str] | None) -> tuple[str, ...] | None:
    names = tuple(n.strip() for value in values or () for n in value.split(",") if n.strip())
    return names or None
