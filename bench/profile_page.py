"""Profile xtycore rendering storefront pages in-process, with cProfile.

    XTY_INSTANCE_PATH=/path/to/seeded/instance .venv/bin/python bench/profile_page.py [PATH ...]
        [--requests N] [--sort tottime|cumulative] [--limit N] [--sql] [--by-package]

Builds the app once, sends every PATH through Flask's test client a few times
to warm it up, then profiles ``--requests`` more requests per PATH and prints
the profile's top entries. ``--sql`` also counts the SQL statements each
request runs; ``--by-package`` adds up the time spent in each library.
The profiler's clock is this process's CPU time, not the wall clock, so time
other processes take from a busy machine is not charged to whatever function
happened to be running. Use a copy of a benchmark instance (``bench/run.py --keep``
prints where it is) or any seeded demo instance; the pages only read.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import time

from sqlalchemy import event

from xtycore import create_app
from xtycore.extensions import db

DEFAULT_PATHS = ["/", "/c/cha-ye", "/p/xi-hu-long-jing-ming-qian-te-ji", "/search?q=%E4%B9%8C%E9%BE%99%E8%8C%B6"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="count SQL statements per request")
    parser.add_argument("--by-package", action="store_true", help="add up own time per library")
    args = parser.parse_args()

    app = create_app()
    client = app.test_client()
    statements: list[str] = []
    if args.sql:
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda conn, cursor, sql, *rest: statements.append(sql))
    for path in args.paths:
        for _ in range(5):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        statements.clear()
        client.get(path)
        per_request = len(statements)
        started = time.process_time()
        for _ in range(args.requests):
            client.get(path)
        cpu = (time.process_time() - started) / args.requests
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        sql = f", {per_request} SQL statements" if args.sql else ""
        print(f"\n=== {path}: {cpu * 1000:.1f} CPU ms per request without the profiler{sql}")
        if args.sql:
            for sql_text in statements[:per_request]:
                print("   SQL:", " ".join(sql_text.split())[:160])
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        if args.by_package:
            print_by_package(stats, args.requests)
        stats.sort_stats(args.sort).print_stats(args.limit)
        print(out.getvalue())


def package_of(filename: str, function: str) -> str:
    """A short name for where a function lives: a library, an xtycore module, a theme template."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/templates/" in filename:
        return "templates (compiled Jinja)"
    if "/xtycore/" in filename:
        return "xtycore/" + filename.rsplit("/xtycore/", 1)[1]
    if filename == "~":
        return "sqlite3 (C)" if "sqlite3" in function else "builtins (C)"
    return "stdlib " + filename.rsplit("/", 1)[-1]


def print_by_package(stats: pstats.Stats, requests: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for (filename, _line, function), (_cc, ncalls, tottime, _ct, _callers) in stats.stats.items():
        key = package_of(filename, function)
        own[key] += tottime
        calls[key] += ncalls
    total = sum(own.values())
    print(f"   own CPU time by package ({total / requests * 1000:.1f} ms per request under the profiler, "
          f"{sum(calls.values()) / requests:,.0f} calls per request)")
    for key, seconds in own.most_common(15):
        print(f"   {seconds / total:6.1%}  {calls[key] / requests:8,.0f} calls  {key}")


if __name__ == "__main__":
    main()
