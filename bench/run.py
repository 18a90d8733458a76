"""Benchmark the storefront under gunicorn against a bare Flask + Jinja + SQLite app.

    .venv/bin/python bench/run.py [--seconds N] [--concurrency C]

Seeds a demo shop into a temporary instance folder (``xty demo --no-serve``),
starts xtycore and bench/bare_app.py under gunicorn with the same workers on
the same SQLite file, drives each storefront page of both with wrk, then runs
the add-to-cart-to-order flow on xtycore, and prints a table with the
xtycore/bare ratio per page. bench/README.md explains the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))

from flow import FlowRun, Item, run_flows  # noqa: E402
from loadstats import LoadResult  # noqa: E402

#: Search texts: one- and two-character words go through LIKE, longer ones through the FTS5 trigram index.
SEARCH_TERMS = ["茶", "绿茶", "龙井", "乌龙茶", "蜂蜜", "坚果", "花草茶", "园艺", "honey", "礼盒", "红茶 礼盒", "tea"]
PAGES = ("home", "category", "product", "search")
#: Units of stock a variant needs to be bought by the flow (each flow buys one).
FLOW_MIN_STOCK = 50
PRODUCT_LINK = re.compile(r'href="/p/([^"?#]+)"')
#: What marks the reviews section of a product page in the default theme.
REVIEWS_MARK = 'id="reviews"'


# --------------------------------------------------------------------------
# the instance and the paths
# --------------------------------------------------------------------------


def prepare_instance(folder: Path, source: Path | None) -> Path:
    """A seeded instance in ``folder``: a copy of ``source``, or a fresh ``xty demo --no-serve``."""
    instance = folder / "instance"
    if source is not None:
        shutil.copytree(source, instance)
        print(f"copied the instance {source} to {instance}")
        return instance
    print(f"seeding a demo shop into {instance} (xty demo --no-serve) …", flush=True)
    started = time.monotonic()
    log = folder / "seed.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(BIN / "xty"), "demo", "--no-serve"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "XTY_INSTANCE_PATH": str(instance)},
        )
    if done.returncode != 0:
        sys.exit(f"xty demo --no-serve failed; see {log}:\n{log.read_text()[-3000:]}")
    print(f"  seeded in {time.monotonic() - started:.0f} s; log {log}")
    return instance


@dataclass(frozen=True)
class Workload:
    paths: dict[str, list[str]]
    items: list[Item]
    products: int


def workload(database: Path) -> Workload:
    """The paths each page kind cycles through, and what the cart flow buys, read from the database."""
    conn = sqlite3.connect(database)
    try:
        products = [r[0] for r in conn.execute("SELECT slug FROM xty_product WHERE status = 'active' ORDER BY id")]
        categories = [r[0] for r in conn.execute("SELECT slug FROM xty_category ORDER BY id")]
        items = [
            Item(slug, variant_id) for slug, variant_id in conn.execute(
                "SELECT p.slug, v.id FROM xty_variant v JOIN xty_product p ON p.id = v.product_id"
                " WHERE p.status = 'active' AND v.stock >= ? ORDER BY v.id", (FLOW_MIN_STOCK,),
            )
        ]
    finally:
        conn.close()
    paths = {
        "home": ["/"],
        "category": [f"/c/{slug}" for slug in categories],
        "product": [f"/p/{slug}" for slug in products],
        "search": [f"/search?q={quote(term)}" for term in SEARCH_TERMS],
    }
    return Workload(paths, items, len(products))


# --------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        pids = [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    pids.append(int(stat.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and workers so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks


def gunicorn_command(app: str, port: int, args: argparse.Namespace, chdir: Path) -> list[str]:
    return [
        str(BIN / "gunicorn"), app, "--chdir", str(chdir), "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers), "--worker-class", "sync", "--timeout", "120",
        "--log-level", "warning", "--no-control-socket",
    ]


@contextlib.contextmanager
def serve(name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[Server]:
    out = log.open("w")
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = Server(name, port, process)
    try:
        wait_ready(server, log)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()


def wait_ready(server: Server, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"{server.name} exited at start; see {log}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _ = fetch(server.port, "/")
            if status == 200:
                return
        time.sleep(0.5)
    sys.exit(f"{server.name} did not answer / within {timeout:.0f} s; see {log}")


def fetch(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def check_same_pages(xty: Server, bare: Server, work: Workload) -> list[str]:
    """Every path answers 200 on both apps; listings show the same products in the same order."""
    problems = []
    for page, paths in work.paths.items():
        for path in paths if page != "product" else paths[:20]:
            (xs, xhtml), (bs, bhtml) = fetch(xty.port, path), fetch(bare.port, path)
            if xs != 200 or bs != 200:
                problems.append(f"{path}: xtycore {xs}, bare {bs}")
            elif PRODUCT_LINK.findall(xhtml) != PRODUCT_LINK.findall(bhtml):
                problems.append(f"{path}: the two apps list different products")
    return problems


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRun:
    result: LoadResult
    #: mean response size, headers included
    bytes_per_response: float
    #: CPU time of the server's processes per completed request
    cpu_ms: float


def wrk(server: Server, paths_file: Path, seconds: float, concurrency: int) -> PageRun:
    threads = max(1, min(2, concurrency))
    command = [
        "wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds:g}s", "--timeout", "30s",
        "-s", str(BENCH / "wrk_paths.lua"), f"http://127.0.0.1:{server.port}", "--", str(paths_file),
    ]
    cpu_before = server.cpu_seconds()
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = server.cpu_seconds() - cpu_before
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{out}")
    data = json.loads(line.removeprefix("BENCH-JSON "))
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    completed = max(0, data["requests"] - data["status"])
    secs = data["duration_us"] / 1e6
    result = LoadResult(completed, errors, secs, completed / secs, data["p50_us"] / 1000, data["p95_us"] / 1000)
    return PageRun(result, data["bytes"] / max(1, data["requests"]), cpu * 1000 / max(1, completed))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    memory = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    gunicorn_version = subprocess.run([str(BIN / "gunicorn"), "--version"], capture_output=True,
                                      text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                             capture_output=True, text=True).stdout.splitlines()
    if changed:
        commit += f" + {len(changed)} uncommitted files"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "commit": commit, "nproc": str(os.cpu_count()),
        "cpu": cpu, "memory": memory, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "gunicorn": gunicorn_version, "wrk": wrk_version.strip(), "kernel": platform.release(),
    }


def print_table(pages: dict[str, dict[str, PageRun]], flow: FlowRun | None, flow_cpu_ms: float) -> None:
    header = (f"{'page':9} {'app':8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} "
              f"{'CPU ms/req':>10} {'KB/resp':>8}   {'xty/bare req/s':>14} {'bare/xty CPU':>12}")
    print(header)
    print("-" * len(header))
    for page, runs in pages.items():
        for app in ("xtycore", "bare"):
            run = runs[app]
            r = run.result
            ratio = ""
            if app == "xtycore" and runs["bare"].result.rate:
                ratio = (f"{r.rate / runs['bare'].result.rate:>14.0%} "
                         f"{runs['bare'].cpu_ms / run.cpu_ms if run.cpu_ms else 0:>12.0%}")
            print(f"{page:9} {app:8} {r.rate:8.1f} {r.p50_ms:8.1f} {r.p95_ms:8.1f} {r.errors:6d} "
                  f"{run.cpu_ms:10.1f} {run.bytes_per_response / 1024:8.1f}   {ratio}")
    if flow is not None:
        r = flow.result
        print(f"\ncart flow (xtycore only; a flow = {flow.requests_per_flow:.0f} requests: product page, add to cart, "
              "4 checkout steps, place order, redirects followed)")
        print(f"  {r.rate:.2f} flows/s   p50 {r.p50_ms:.0f} ms   p95 {r.p95_ms:.0f} ms per flow   "
              f"{r.completed} flows, {r.errors} failed   {flow_cpu_ms:.0f} CPU ms/flow on the server")
        for failure in flow.failures:
            print(f"  failure: {failure}")


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per page and app (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each measurement (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections / flow threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per app (default 2)")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated subset of {', '.join(PAGES)}")
    parser.add_argument("--no-flow", action="store_true", help="skip the add-to-cart-to-order flow")
    parser.add_argument("--instance", type=Path, help="copy this seeded instance folder instead of seeding one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (instance, server logs)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13",
                        help="xtycore's REDIS_URL, so its workers share one cache as in production "
                             "(default redis://127.0.0.1:6379/13; 'none': each worker caches in-process)")
    parser.add_argument("--no-warm-pass", action="store_true",
                        help="skip fetching each page's paths once on both apps before measuring it")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (bench/README.md)")
    if not (BIN / "gunicorn").exists():
        sys.exit("gunicorn is not installed: .venv/bin/pip install -e '.[bench]' (bench/README.md)")
    pages_wanted = [p for p in args.pages.split(",") if p]
    unknown = set(pages_wanted) - set(PAGES)
    if unknown:
        sys.exit(f"unknown pages {', '.join(sorted(unknown))}; choose from {', '.join(PAGES)}")
    info = machine()
    print(" · ".join(f"{k} {v}" for k, v in info.items()))
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    folder = Path(tempfile.mkdtemp(prefix="xty-bench-"))
    try:
        run(args, info, folder, pages_wanted)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, info: dict[str, str], folder: Path, pages_wanted: list[str]) -> None:
    instance = prepare_instance(folder, args.instance)
    database = instance / "xtycore.sqlite"
    work = workload(database)
    print(f"workload: {work.products} active products, {len(work.paths['category'])} categories, "
          f"{len(SEARCH_TERMS)} search texts, {len(work.items)} variants with stock for the flow")
    print(f"gunicorn: {args.workers} sync workers per app; wrk: {args.concurrency} connections, "
          f"{args.warmup:g} s warm-up + {args.seconds:g} s per page and app")
    xty_port, bare_port = free_port(), free_port()
    flow, flow_cpu_ms = None, 0.0
    with contextlib.ExitStack() as stack:
        xty = stack.enter_context(serve(
            "xtycore", gunicorn_command("xtycore:create_app()", xty_port, args, ROOT),
            {"XTY_INSTANCE_PATH": str(instance), **cache_environment(args.redis_url)}, xty_port,
            folder / "xtycore.log",
        ))
        # the bare app shows reviews on product pages when xtycore does, so both do the same work
        reviews = REVIEWS_MARK in fetch(xty.port, work.paths["product"][0])[1]
        print(f"product pages {'show' if reviews else 'do not show'} reviews")
        bare = stack.enter_context(serve(
            "bare", gunicorn_command("bare_app:app", bare_port, args, BENCH),
            {"BARE_DB": str(database), "BARE_SECRET_KEY": secrets.token_hex(32), "BARE_REVIEWS": str(int(reviews))},
            bare_port, folder / "bare.log",
        ))
        for problem in check_same_pages(xty, bare, work):
            print(f"warning: {problem}")
        results = measure_pages(xty, bare, work, pages_wanted, folder, args)
        if not args.no_flow:
            flow, flow_cpu_ms = measure_flow(xty, work, args)
    print()
    print_table(results, flow, flow_cpu_ms)
    if args.json:
        write_json(args.json, info, args, results, flow, flow_cpu_ms)


def cache_environment(redis_url: str) -> dict[str, str]:
    """xtycore's cache settings: a shared Redis under a key prefix of this run alone, when Redis answers."""
    if redis_url == "none":
        print("cache: in-process per worker (--redis-url none)")
        return {}
    try:
        import redis

        redis.Redis.from_url(redis_url).ping()
    except Exception as exc:  # any failure means: measure without it, and say so
        print(f"cache: in-process per worker; Redis at {redis_url} does not answer ({exc})")
        return {}
    prefix = f"xty-bench-{secrets.token_hex(4)}:"
    print(f"cache: Redis {redis_url}, shared by the workers (key prefix {prefix})")
    return {"XTY_REDIS_URL": redis_url, "XTY_CACHE_KEY_PREFIX": prefix}


def warm_pass(servers: tuple[Server, ...], paths: list[str]) -> None:
    """Fetch each of a page's paths once on each app, as a shop that has been serving a while has."""
    for path in paths:
        for server in servers:
            fetch(server.port, path)


def measure_pages(xty: Server, bare: Server, work: Workload, pages_wanted: list[str], folder: Path,
                  args: argparse.Namespace) -> dict[str, dict[str, PageRun]]:
    """Each page on both apps, one after the other: warm-up, then the measured run."""
    results: dict[str, dict[str, PageRun]] = {}
    for n, page in enumerate(pages_wanted):
        paths_file = folder / f"paths-{page}.txt"
        paths_file.write_text("\n".join(work.paths[page]) + "\n")
        # alternate which app goes first, so a drift in background load does not favour one
        order = (xty, bare) if n % 2 == 0 else (bare, xty)
        runs = {}
        if not args.no_warm_pass:  # just before measuring: stored pages live STOREFRONT_PAGE_CACHE_SECONDS
            warm_pass(order, work.paths[page])
        for server in order:
            wrk(server, paths_file, args.warmup, args.concurrency)
            before = load_average()
            runs[server.name] = wrk(server, paths_file, args.seconds, args.concurrency)
            print(f"  {page:9} {server.name:8} {runs[server.name].result.rate:8.1f} req/s  "
                  f"(load average {before} -> {load_average()})", flush=True)
        results[page] = {"xtycore": runs["xtycore"], "bare": runs["bare"]}
    return results


def measure_flow(xty: Server, work: Workload, args: argparse.Namespace) -> tuple[FlowRun | None, float]:
    """The cart flow on xtycore: warm-up, then the measured run; returns it and CPU ms per flow."""
    if not work.items:
        print("cart flow: no variant has enough stock; skipped")
        return None, 0.0
    run_flows("127.0.0.1", xty.port, work.items, seconds=args.warmup, concurrency=args.concurrency)
    cpu_before = xty.cpu_seconds()
    flow = run_flows("127.0.0.1", xty.port, work.items[::-1], seconds=args.seconds, concurrency=args.concurrency)
    cpu_ms = (xty.cpu_seconds() - cpu_before) * 1000 / max(1, flow.result.completed)
    print(f"  cart flow {flow.result.rate:.2f} flows/s", flush=True)
    return flow, cpu_ms


def write_json(target: Path, info: dict[str, str], args: argparse.Namespace,
               results: dict[str, dict[str, PageRun]], flow: FlowRun | None, flow_cpu_ms: float) -> None:
    target.write_text(json.dumps({
        "machine": info,
        "args": {k: str(v) for k, v in vars(args).items()},
        "pages": {
            page: {app: {**r.result.as_dict(), "bytes": round(r.bytes_per_response), "cpu_ms": round(r.cpu_ms, 2)}
                   for app, r in runs.items()}
            for page, runs in results.items()
        },
        "flow": None if flow is None else {
            **flow.result.as_dict(), "requests_per_flow": flow.requests_per_flow,
            "cpu_ms": round(flow_cpu_ms, 1), "failures": flow.failures,
        },
    }, ensure_ascii=False, indent=2))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
