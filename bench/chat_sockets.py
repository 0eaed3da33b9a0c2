"""Live chat sockets benchmark (CS-3): memory per idle socket and message delivery latency,
with the Redis channel layer, on one or more uvicorn processes.

1. In a throwaway VAR_DIR: a SQLite database (or PostgreSQL `allies_bench_chat` with
   `--db postgres`), `migrate`, then SOCKETS visitor sessions, each with an open chat
   conversation (written straight into the tables: a benchmark only needs the rows).
2. Starts WORKERS `uvicorn allies.asgi:application` processes (`--ws websockets-sansio` as
   in production), each on its own port, with REDIS_URL=redis://127.0.0.1:6379/0, so
   presence and messages go through Redis as in production: one socket process per core
   (README). `--layer pubsub` swaps the channel layer for channels_redis's Pub/Sub one.
3. Opens SOCKETS concurrent customer sockets spread over the processes (the `websockets`
   client, each with its session cookie and the site's Origin), waits until they are idle,
   and reads the servers' RSS before and after: memory per socket = RSS delta / SOCKETS.
4. Sends RATE messages per second for DURATION seconds, spread over the sockets. Each
   message is stored, then broadcast to its conversation's group; the latency is from the
   client's send to the same client receiving its stored message back (store + Redis
   round trip + delivery). Prints p50, p95, p99, the messages lost (never echoed) and the
   CPU the servers and this client used meanwhile (per message and in % of one core).

    .venv/bin/python bench/chat_sockets.py [--sockets 1000] [--rate 200] [--duration 10]
        [--workers 1] [--db sqlite|postgres] [--layer core|pubsub] [--port N]
        [--var-dir DIR] [--profile FILE]

`--profile FILE` (needs `pip install yappi`) writes a CPU profile of the first server
process during the load (pstats format: `python -m pstats FILE`).

A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "allies_bench_chat"

SEED_SCRIPT = """
import json, sys
from allies.storefront.sessions import SessionStore
from allies.accounts.models import Session
from django.utils import timezone
from datetime import timedelta
from allies.chat.models import Conversation

n = int(sys.argv[-1])
store = SessionStore()
expire = timezone.now() + timedelta(days=1)
keys = [store._get_new_session_key() for _ in range(n)]
data = store.encode({"chat": True})
Session.objects.bulk_create(
    [Session(session_key=k, session_data=data, expire_date=expire) for k in keys]
)
Conversation.objects.bulk_create(
    [Conversation(visitor_name=f"Visiteur {i}", visitor_email=f"v{i}@example.test",
                  session_key=k) for i, k in enumerate(keys)]
)
print("KEYS " + json.dumps(keys))
"""


# uvicorn on the ASGI application. With a pool size, the channel layer's Redis connections
# are configured first as the settings should (reported to the lead): redis-py 8's defaults
# break channels_redis under load: a pool of 100 connections that refuses a burst of more
# ("Too many connections") and a 5 s socket timeout equal to channels_redis's 5 s BZPOPMIN,
# so an idle receive loop times out ("Timeout reading") and its sockets drop.
# `pubsub`: channels_redis's Pub/Sub layer (one PUBLISH per group message, one subscribed
# connection per process) instead of its list-based core layer.
# A profile path: yappi (CPU clock, every thread) runs between SIGUSR1 and SIGUSR2.
SERVER_SCRIPT = """
import os, signal, sys
from django.conf import settings
port, pool, layer, ws, profile = sys.argv[1:6]
config = settings.CHANNEL_LAYERS["default"]
if int(pool):
    config["CONFIG"]["hosts"] = [
        {"address": h, "max_connections": int(pool), "socket_timeout": 30}
        if isinstance(h, str) else h
        for h in config["CONFIG"]["hosts"]
    ]
if layer == "core":
    config["BACKEND"] = "channels_redis.core.RedisChannelLayer"
if layer == "pubsub":
    config["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"
    config["CONFIG"]["hosts"] = [
        h["address"] if isinstance(h, dict) else h for h in config["CONFIG"]["hosts"]
    ]
if profile:
    import yappi
    yappi.set_clock_type("cpu")
    def stop(*_):
        yappi.stop()
        yappi.get_func_stats().save(profile, type="pstat")
    signal.signal(signal.SIGUSR1, lambda *_: yappi.start())
    signal.signal(signal.SIGUSR2, stop)
import uvicorn
from allies.asgi import application
uvicorn.run(application, host="127.0.0.1", port=int(port), ws=ws, lifespan="off",
            log_level="warning", access_log=False)
"""


def log(message: str) -> None:
    print(message, flush=True)


def env_for(db: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="allies.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(var_dir),
        DATABASE_URL=(
            f"sqlite:///{var_dir / 'allies_bench_chat.sqlite3'}"
            if db == "sqlite"
            else f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
        ),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="ERROR",
        PYTHONDONTWRITEBYTECODE="1",
        CHAT_PRESENCE_TIMEOUT_SECONDS="60",
    )
    env.pop("EMAIL_HOST", None)
    return env


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def prepare(db: str, var_dir: Path, sockets: int) -> tuple[dict, list[str]]:
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = env_for(db, var_dir)
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [*manage, "shell", "-c", SEED_SCRIPT.replace("sys.argv[-1]", str(sockets))],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    keys = json.loads(next(x for x in out.stdout.splitlines() if x.startswith("KEYS "))[5:])
    return env, keys


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("uvicorn did not start")


async def run_load(
    ports: list[int], keys: list[str], pids: list[int], rate: int, duration: float,
    profile: bool,
) -> dict:  # fmt: skip
    import websockets
    from websockets.typing import Origin

    sent: dict[str, float] = {}
    latencies: list[float] = []
    errors: list[str] = []

    async def open_one(n: int, key: str):
        port = ports[n % len(ports)]
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/chat/",
            additional_headers={"Cookie": f"sessionid={key}"},
            origin=Origin("http://127.0.0.1"),
            open_timeout=60,
            max_queue=None,
        )
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["conversation"], hello
        return ws

    async def reader(ws) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "message":
                    started = sent.pop(frame["message"].get("client_id", ""), None)
                    if started is not None:
                        latencies.append((time.perf_counter() - started) * 1000)
                elif frame["type"] == "error":
                    errors.append(frame.get("code", "?"))
        except websockets.ConnectionClosed:
            pass

    # Warm the servers (imports, first connections), then measure the idle sockets.
    sockets = [await open_one(n, keys[n]) for n in range(len(ports))]
    await asyncio.sleep(1)
    rss_before = sum(rss_kib(pid) for pid in pids)
    opened = time.perf_counter()
    for start in range(len(ports), len(keys), 100):
        batch = range(start, min(start + 100, len(keys)))
        sockets += await asyncio.gather(*(open_one(n, keys[n]) for n in batch))
    open_seconds = time.perf_counter() - opened
    await asyncio.sleep(3)
    rss_after = sum(rss_kib(pid) for pid in pids)
    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    idle_cpu = [cpu_seconds(pid) for pid in pids]
    idle_began = time.perf_counter()
    await asyncio.sleep(3)
    idle_seconds = time.perf_counter() - idle_began
    idle_cpu = [cpu_seconds(pid) - c for pid, c in zip(pids, idle_cpu, strict=True)]

    if profile:
        os.kill(pids[0], signal.SIGUSR1)
    cpu_before = [cpu_seconds(pid) for pid in pids]
    client_before = time.process_time()
    total = int(rate * duration)
    begin = time.perf_counter()
    for n in range(total):
        due = begin + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        ws = sockets[n % len(sockets)]
        client_id = str(n)
        sent[client_id] = time.perf_counter()
        await ws.send(
            json.dumps({"type": "message", "body": f"Message {n}", "client_id": client_id})
        )
    send_seconds = time.perf_counter() - begin
    drain = time.perf_counter() + 10
    while sent and time.perf_counter() < drain:
        await asyncio.sleep(0.05)
    load_seconds = time.perf_counter() - begin
    server_cpu = [cpu_seconds(pid) - c for pid, c in zip(pids, cpu_before, strict=True)]
    client_cpu = time.process_time() - client_before
    if profile:
        os.kill(pids[0], signal.SIGUSR2)
        await asyncio.sleep(5)
    rss_loaded = sum(rss_kib(pid) for pid in pids)
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    return {
        "sockets": len(sockets),
        "open_seconds": open_seconds,
        "rss_before_mib": rss_before / 1024,
        "rss_idle_mib": rss_after / 1024,
        "rss_loaded_mib": rss_loaded / 1024,
        "kib_per_socket": (rss_after - rss_before) / max(1, len(sockets) - 1),
        "messages": total,
        "achieved_rate": total / send_seconds,
        "delivered": len(latencies),
        "lost": len(sent),
        "errors": len(errors),
        "p50": percentile(latencies, 50) if latencies else float("nan"),
        "p95": percentile(latencies, 95) if latencies else float("nan"),
        "p99": percentile(latencies, 99) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
        "load_seconds": load_seconds,
        "server_cpu": server_cpu,
        "idle_cpu_pct": [100 * c / idle_seconds for c in idle_cpu],
        "client_cpu": client_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument(
        "--redis-max-connections", type=int, default=2000,
        help="the layer's Redis pool size, with a 30 s socket timeout (0: settings as they are)",
    )  # fmt: skip
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--workers", type=int, default=1,
        help="uvicorn processes sharing the Redis layer, on ports PORT, PORT+1…",
    )  # fmt: skip
    parser.add_argument("--layer", choices=["core", "pubsub"], default="pubsub")  # settings'
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn's --ws")
    parser.add_argument("--profile", default="", help="yappi CPU profile of server 1 (FILE)")
    parser.add_argument("--port", type=int, default=0, help="default: free ports")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "bench" / "chat"))
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS_URL).ping()
    var_dir = Path(args.var_dir) / args.db
    log(f"preparing {args.sockets} visitor sessions and conversations ({args.db})…")
    env, keys = prepare(args.db, var_dir, args.sockets)
    env["REDIS_URL"] = REDIS_URL
    if not 1 <= args.workers <= 64 or not 1 <= args.sockets <= 100_000 or args.rate < 1:
        parser.error("--workers 1..64, --sockets 1..100000, --rate ≥ 1")
    if args.port:
        ports = [args.port + n for n in range(args.workers)]
    else:
        probes = [socket.socket() for _ in range(args.workers)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        ports = [probe.getsockname()[1] for probe in probes]
        for probe in probes:
            probe.close()
    if args.profile:
        args.profile = str(Path(args.profile).resolve())
    servers = [
        subprocess.Popen(
            [
                PYTHON,
                "-c",
                SERVER_SCRIPT,
                str(port),
                str(args.redis_max_connections),
                args.layer,
                args.ws,
                args.profile if n == 0 else "",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        for n, port in enumerate(ports)
    ]
    pids = [server.pid for server in servers]
    try:
        for port in ports:
            wait_port(port)
        log(f"uvicorn pids {pids}, Redis {args.layer} layer; opening {args.sockets} sockets…")
        r = asyncio.run(run_load(ports, keys, pids, args.rate, args.duration, bool(args.profile)))
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    log("")
    pool = args.redis_max_connections or "default"
    processes = "one uvicorn process" if args.workers == 1 else f"{args.workers} uvicorn processes"
    log(f"Chat sockets — {args.db}, Redis {args.layer} channel layer (pool {pool}), "
        f"{processes} (--ws {args.ws}), Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores")  # fmt: skip
    log(f"  sockets open (idle)        {r['sockets']} in {r['open_seconds']:.1f} s")
    log(f"  server RSS                 {r['rss_before_mib']:.1f} MiB before, "
        f"{r['rss_idle_mib']:.1f} MiB with the sockets idle, "
        f"{r['rss_loaded_mib']:.1f} MiB after the load")  # fmt: skip
    log(f"  memory per idle socket     {r['kib_per_socket']:.1f} KiB")
    log(f"  messages                   {r['messages']} at {r['achieved_rate']:.0f}/s sent, "
        f"{r['delivered']} delivered, {r['lost']} lost, {r['errors']} refused")  # fmt: skip
    log(f"  delivery latency (ms)      p50 {r['p50']:.1f} · p95 {r['p95']:.1f} · "
        f"p99 {r['p99']:.1f} · max {r['max']:.1f}")  # fmt: skip
    cpu = sum(r["server_cpu"])
    log(f"  server CPU under load      {cpu:.1f} s in {r['load_seconds']:.1f} s = "
        f"{cpu * 1000 / max(1, r['delivered']):.2f} ms per delivered message; per process "
        + ", ".join(f"{100 * c / r['load_seconds']:.0f} %" for c in r["server_cpu"])
        + " of a core")  # fmt: skip
    log("  server CPU, sockets idle   "
        + ", ".join(f"{c:.1f} %" for c in r["idle_cpu_pct"]) + " of a core")  # fmt: skip
    log(f"  client CPU under load      {100 * r['client_cpu'] / r['load_seconds']:.0f} % "
        "of a core (this script, on the same machine)")  # fmt: skip


if __name__ == "__main__":
    main()
