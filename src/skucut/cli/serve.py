"""skucut serve: the HTTP API and web page on uvicorn (needs the [serve] extra)."""

from __future__ import annotations

from skucut.cli._common import fail, install_hint
from skucut.errors import SkucutError


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the HTTP API and web page")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="0.0.0.0 to listen on all interfaces (default: %(default)s)",
    )
    p.add_argument("--port", type=int, default=8000, help="(default: %(default)s)")
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
    p.add_argument(
        "--concurrency", type=int, default=None, help="images processed at once (default: cores)"
    )
    p.add_argument(
        "--queue-size", type=int, default=None, help="requests waiting before 503 (default: 16)"
    )
    p.add_argument("--timeout", type=float, default=None, help="seconds per request (default: 60)")
    p.add_argument("--max-upload-mb", type=float, default=None, help="(default: 25)")
    p.add_argument(
        "--allow-url", action="store_true", default=None, help="accept ?url= inputs (default: off)"
    )
    p.add_argument(
        "--api-key",
        action="append",
        default=None,
        help="require this X-API-Key (repeat for several; or SKUCUT_API_KEYS=a,b; default: none)",
    )
    p.add_argument(
        "--feedback-dir",
        metavar="DIR",
        default=None,
        help="accept corrections from the web page (POST /v1/feedback) and store them in DIR "
        "as images/ + masks/ training pairs (default: off; or SKUCUT_FEEDBACK_DIR)",
    )
    p.add_argument(
        "--feedback-max-pairs",
        type=int,
        default=None,
        help="refuse feedback once DIR holds this many pairs (default: 10000)",
    )
    p.add_argument(
        "--feedback-max-mb",
        type=float,
        default=None,
        help="... or this many MiB (default: 2048)",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        import uvicorn

        from skucut.serve import ServeSettings, create_app
        from skucut.serve.models import ServedModels
    except ImportError as exc:
        fail(f"skucut serve needs the serve extra ({exc.name} is missing): {install_hint('serve')}")
        return 2
    try:
        settings = ServeSettings.from_env(
            models=_split_names(args.models),
            concurrency=args.concurrency,
            queue_size=args.queue_size,
            timeout_s=args.timeout,
            max_upload_bytes=_mib(args.max_upload_mb),
            allow_url=args.allow_url,
            api_keys=frozenset(args.api_key) if args.api_key is not None else None,
            feedback_dir=args.feedback_dir,
            feedback_max_pairs=args.feedback_max_pairs,
            feedback_max_bytes=_mib(args.feedback_max_mb),
        )
        # Loaded here as well as in the app's start-up, so a bad model is one line, not a
        # server traceback (the app finds them loaded).
        ServedModels.of(settings.models).load()
        app = create_app(settings)
    except SkucutError as exc:
        fail(str(exc))
        return exc.exit_code
    except (ValueError, OSError) as exc:  # OSError: a feedback folder it cannot create
        fail(str(exc))
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _mib(value: float | None) -> int | None:
    return int(value * 1024 * 1024) if value else None


def _split_names(values: list[str] | None) -> tuple[str, ...] | None:
    names = tuple(n.strip() for value in values or () for n in value.split(",") if n.strip())
    return names or None
