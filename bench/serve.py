"""A load check of `referee serve`: many /evaluate requests at once; prints latency, rate and errors.

    python bench/serve.py [--requests 2000] [--concurrency 8] [--seconds 600] [--json]

Starts `referee serve` on 127.0.0.1 (a free port) in a process of its own,
with a tokens file and a new SQLite store in a temporary folder, waits until it
answers, then sends REQUESTS POST /evaluate from CONCURRENCY clients at once
(httpx, one connection each): the four bundled example dossiers of the report's
tests in turn, each with a dossier_id of its own, so that every request makes a
new decision and a new row of the store. The count is bounded, and so is the
time: past SECONDS no request is sent. Prints the latency percentiles, the
rate, the server's CPU time per request and the errors (any answer but 200 or
201, or no answer). Nothing asserts a time: the figures are read by people,
with the machine's load printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from engine.model.documents import load_document  # noqa: E402

EXAMPLES = [
    ROOT / "examples" / "bilan-carbone-compliance" / "compliant.yaml",
    ROOT / "examples" / "objectif-co2" / "labelling-decision-not-allowed.yaml",
    ROOT / "examples" / "label-bas-carbone" / "credits-haies-2021-additive-discounts-quantified.yaml",
    ROOT / "examples" / "label-transmission" / "invoice-600-eur-content-computed.yaml",
]
TOKEN = "bench-evaluator-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bodies(count: int) -> list[bytes]:
    """The requests' dossiers as JSON, made before the clock starts: the examples in turn, each with a dossier_id of its own."""
    documents = [load_document(path) for path in EXAMPLES]
    return [json.dumps({**documents[i % len(documents)], "dossier_id": f"bench-{i:05d}"}, default=str).encode() for i in range(count)]


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """`referee serve`, as anyone starts it, its access log in the folder."""
    (folder / "tokens.txt").write_text(f"evaluator {TOKEN} bench\n", encoding="utf-8")
    command = [sys.executable, str(ROOT / "cli.py"), "--root", str(ROOT), "serve", "--port", str(port), "--tokens", "tokens.txt", "--store", "referee.db"]
    return subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=(folder / "server.log").open("wb"))


def wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 120) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped at start (exit {server.returncode}): see its log")
        try:
            if httpx.get(f"{base}/schemes", timeout=2).status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer within {seconds:.0f} s")


async def load(base: str, payloads: list[bytes], concurrency: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    queue = iter(range(len(payloads)))
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=1)) as http:
            for index in queue:
                if time.perf_counter() > deadline:
                    return
                sent = time.perf_counter()
                try:
                    response = await http.post("/evaluate", content=payloads[index], headers=headers)
                    statuses[str(response.status_code)] += 1
                    if response.status_code not in (200, 201) and len(failures) < 5:
                        failures.append(f"{response.status_code}: {response.text[:300]}")
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    failures.append(f"{type(exc).__name__}: {exc}")
                latencies.append(time.perf_counter() - sent)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000

    errors = sum(n for status, n in statuses.items() if status not in ("200", "201"))
    return {
        "sent": len(latencies), "seconds": round(elapsed, 2), "rate_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(0.50), 1), "p90_ms": round(percentile(0.90), 1), "p99_ms": round(percentile(0.99), 1),
        "max_ms": round(ordered[-1] * 1000, 1), "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        "errors": errors, "statuses": dict(statuses), "first_failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=600, help="send no request after this many seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    payloads = bodies(args.requests)
    with tempfile.TemporaryDirectory(prefix="referee-bench-serve-") as scratch:
        folder, port = Path(scratch), free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(folder, port)
        try:
            started = wait_until_up(base, server)
            cpu_before = cpu_seconds(server.pid)
            figures = asyncio.run(load(base, payloads, args.concurrency, args.seconds))
            server_cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    figures.update(
        requests=args.requests, concurrency=args.concurrency, startup_s=round(started, 2),
        server_cpu_ms_per_request=round(server_cpu * 1000 / max(1, figures["sent"]), 2),
        load_average=[round(x, 2) for x in os.getloadavg()], python=platform.python_version(), cpus=os.cpu_count(),
    )
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"referee serve on 127.0.0.1, SQLite store; Python {figures['python']}, {figures['cpus']} CPUs, load average {figures['load_average']}")
    print(f"server up (library compiled, store made) in {figures['startup_s']} s")
    print(f"{figures['sent']:,} POST /evaluate of {args.requests:,}, {args.concurrency} at a time, in {figures['seconds']} s: {figures['rate_per_s']} requests/s")
    print(f"latency: p50 {figures['p50_ms']} ms, p90 {figures['p90_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms (mean {figures['mean_ms']} ms)")
    print(f"server CPU: {figures['server_cpu_ms_per_request']} ms per request")
    print(f"errors: {figures['errors']} (answers: {', '.join(f'{s} × {n:,}' for s, n in sorted(figures['statuses'].items()))})")
    for failure in figures["first_failures"]:
        print(f"  {failure}")


if __name__ == "__main__":
    main()
