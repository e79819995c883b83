"""``o2d-inbox simulator``: serve the built-in Outreach2day simulator on a local port."""

from __future__ import annotations

import argparse
import logging
import sys


class _HideSimulatedDrops(logging.Filter):
    """A simulated drop is raised on purpose to cut the socket; it is not a server error."""

    def filter(self, record: logging.LogRecord) -> bool:
        from o2d_inbox.simulator import SimulatedDrop

        return not (record.exc_info and isinstance(record.exc_info[1], SimulatedDrop))


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator, create_app, listen_socket

    cfg = SimConfig(
        threads=args.threads,
        seed=args.seed,
        api_keys={args.api_key} if args.api_key else None,
        reply_rate=args.reply_rate,
        latency=args.latency,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        rate_limit_rate=args.rate_limit_rate,
        rate_limit_rps=args.rate_limit_rps,
        rate_limit_burst=args.rate_limit_burst,
        malformed_rate=args.malformed_rate,
    )
    sim = Simulator(cfg)
    # Bind first so the printed URL is one that works (and --port 0 picks a free port).
    try:
        sock = listen_socket(args.host, args.port)
    except OSError as exc:
        print(f"o2d-inbox: simulator: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    logging.getLogger("uvicorn.error").addFilter(_HideSimulatedDrops())
    server = uvicorn.Server(uvicorn.Config(create_app(sim), log_level="warning", access_log=False, lifespan="off"))
    key = "the one given with --api-key" if args.api_key else EXAMPLE_KEY
    print(
        f"Outreach2day simulator: http://{host}:{port}  workspace {cfg.workspaces[0]}, "
        f"{cfg.threads} threads, key: {key}  (Ctrl-C stops)",
        flush=True,
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0
