"""Time the back-office reports over a year of a large shop.

    .venv/bin/python bench/reports.py [--orders 100000] [--repeat 5] [--seed 1] [--keep]
    .venv/bin/python bench/reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reportsbench

Builds a temporary instance migrated to head (its own SQLite file, or the
database of ``--database-url``), inserts ``--orders`` paid and unpaid orders
spread over 2025 on the shop's clock with one to three lines each, their
payments, a refund for about one order in twenty, and a customer account for
about one order in five, in bulk through SQLAlchemy Core (``executemany`` in
chunks), then times each report for the year 2025: the sales report by day,
week, month, quarter and year, the top products and categories by revenue and
by units, the whole ``/admin/reports`` page for an owner and the sales CSV.

A database that already holds orders (an earlier run's, kept with ``--keep``
or ``--database-url``) is measured as it is, without seeding again.

Prints a Markdown table of the median and fastest wall time of ``--repeat``
runs, the median process CPU time (``time.process_time``: what this process
spent, whatever else the machine runs) and, on PostgreSQL, the median of the
server's execution time of the run's reading statements (``EXPLAIN ANALYZE``,
summed), which the process CPU does not include. bench/RESULTS.md records the
numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select, text  # noqa: E402

from xtycore import create_app, database  # noqa: E402
from xtycore.extensions import db  # noqa: E402
from xtycore.models import Customer, Order, OrderLine  # noqa: E402
from xtycore.models.catalog import Category, Product  # noqa: E402
from xtycore.models.payments import Payment, PaymentTransaction  # noqa: E402
from xtycore.services import reports  # noqa: E402

YEAR = (date(2025, 1, 1), date(2025, 12, 31))
CHUNK = 5000
PASSWORD = "bench password 0123"
STATUSES = ["paid"] * 10 + ["shipped"] * 15 + ["delivered"] * 20 + ["completed"] * 45 + ["refunded"] * 3 \
    + ["cancelled"] * 4 + ["pending_payment"] * 3


def make_app(folder: Path, url: str):
    return create_app({
        "SECRET_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": url,
        "JOBS_BACKEND": "immediate",
        "WTF_CSRF_ENABLED": False,
        "SHOP_LOCALE": "en",
        "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1,
    }, instance_path=str(folder / "instance"))


def _bulk(model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[start:start + CHUNK])


def seed(count: int, rng: random.Random) -> dict[str, int]:
    """Categories, products, customers, orders with lines, payments and refunds; returns row counts."""
    started = datetime(2024, 12, 31, 16, 0, tzinfo=timezone.utc)  # 2025-01-01 00:00 in Asia/Shanghai
    seconds = int((datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc) - started).total_seconds())
    _bulk(Category, [{"id": i, "slug": f"c{i}", "name": f"分类{i}", "name_en": f"Category {i}", "path": f"/{i}/"}
                     for i in range(1, 21)])
    _bulk(Product, [{"id": i, "title": f"商品{i}", "slug": f"p{i}", "category_id": i % 20 + 1 if i % 10 else None,
                     "status": "active"} for i in range(1, 201)])
    moments = sorted(started + timedelta(seconds=rng.randrange(seconds)) for _ in range(count))
    customers = [{"id": i, "email": f"c{i}@bench.test", "password_hash": "$argon2id$bench",
                  "created_at": moments[(i * 5) % count]} for i in range(1, count // 5 + 1)]
    _bulk(Customer, customers)
    orders, lines, payments, txs = [], [], [], []
    for n, placed in enumerate(moments, start=1):
        status = rng.choice(STATUSES)
        order_lines = []
        for k in range(rng.randint(1, 3)):
            product, quantity, unit = rng.randint(1, 200), rng.randint(1, 4), rng.randrange(990, 49900, 10)
            order_lines.append({"order_id": n, "product_id": product, "product_name": f"商品{product}",
                                "sku": f"SKU{product}-{k}", "unit_price_minor": unit, "quantity": quantity,
                                "total_minor": unit * quantity})
        total = sum(line["total_minor"] for line in order_lines)
        paid = total if status != "pending_payment" and not (status == "cancelled" and n % 2) else 0
        refund = total if status == "refunded" or (status == "cancelled" and paid) else (
            total // 2 if paid and n % 20 == 0 else 0)
        orders.append({
            "id": n, "number": f"B{n:08d}", "customer_id": (n % (count // 5)) + 1 if n % 3 else None,
            "status": status, "currency": "CNY", "subtotal_minor": total, "total_minor": total, "paid_minor": paid,
            "refunded_minor": refund, "ship_recipient": "张三", "ship_mobile": "13800000000", "ship_province": "浙江省",
            "ship_city": "杭州市", "ship_district": "西湖区", "ship_street": "龙井路 1 号", "courier_quote_code": "std",
            "courier_label": "顺丰", "checkout_token": f"bench-{n}", "placed_at": placed, "updated_at": placed,
        })
        lines.extend(order_lines)
        if paid:
            payments.append({"id": n, "order_id": n, "instance_id": 1, "gateway_code": "bench", "reference": f"P{n}",
                             "amount_minor": total, "currency": "CNY", "status": "succeeded", "captured_minor": total,
                             "authorized_minor": total, "refunded_minor": refund, "paid_order": True,
                             "created_at": placed, "updated_at": placed, "settled_at": placed})
            txs.append({"payment_id": n, "kind": "capture", "status": "succeeded", "amount_minor": total,
                        "currency": "CNY", "idempotency_key": f"cap-{n}", "created_at": placed, "updated_at": placed,
                        "settled_at": placed})
            if refund:
                at = placed + timedelta(days=rng.randint(0, 20))
                txs.append({"payment_id": n, "kind": "refund", "status": "succeeded", "amount_minor": refund,
                            "currency": "CNY", "idempotency_key": f"ref-{n}", "created_at": at, "updated_at": at,
                            "settled_at": at})
    _bulk(Order, orders)
    _bulk(OrderLine, lines)
    _bulk(Payment, payments)
    _bulk(PaymentTransaction, txs)
    db.session.commit()
    return {"orders": len(orders), "order lines": len(lines), "payments": len(payments),
            "ledger rows": len(txs), "customers": len(customers)}


class Executions:
    """On PostgreSQL, the server's execution time of the SELECT statements a run sends (EXPLAIN ANALYZE)."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    def record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):  # reads only: ANALYZE executes
            self.statements.append((statement, parameters))

    def __enter__(self) -> "Executions":
        event.listen(self.engine, "before_cursor_execute", self.record)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self.record)

    def milliseconds(self) -> float:
        total = 0.0
        with self.engine.connect() as conn:
            for statement, parameters in self.statements:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
                total += plan[0]["Execution Time"]
            conn.rollback()
        return total


def timed(run: Callable[[], Any], repeat: int, engine: Any | None) -> tuple[float, float, float, float | None]:
    """Median and fastest wall ms, median CPU ms, and median PostgreSQL execution ms (or None)."""
    run()  # warm the page cache of the database and SQLAlchemy's statement cache
    walls, cpus, server = [], [], []
    for _ in range(repeat):
        cpu, started = time.process_time(), time.perf_counter()
        run()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    if engine is not None:
        for _ in range(repeat):
            with Executions(engine) as executions:
                run()
            server.append(executions.milliseconds())
    return (statistics.median(walls), min(walls), statistics.median(cpus),
            statistics.median(server) if server else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance and print its path")
    parser.add_argument("--database-url", default="",
                        help="SQLAlchemy URL of an empty database (or one an earlier run seeded); "
                             "default: a SQLite file in the temporary instance")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xty-bench-reports-"))
    print(f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    try:
        app = make_app(folder, args.database_url or f"sqlite:///{folder / 'bench.db'}")
        with app.app_context():
            database.upgrade(app)
            engine = db.engine if db.engine.dialect.name == "postgresql" else None
            present = db.session.scalar(select(func.count()).select_from(Order))
            if present:
                print(f"measuring the {present} orders already in the database", flush=True)
            else:
                started = time.perf_counter()
                counts = seed(args.orders, random.Random(args.seed))
                print(f"seeded {', '.join(f'{v} {k}' for k, v in counts.items())} "
                      f"in {time.perf_counter() - started:.1f} s", flush=True)
            if engine is not None:  # as autovacuum leaves a shop: statistics and visibility map up to date
                db.session.commit()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
            from xtycore.models.staff import Staff
            from xtycore.services import staff as staff_service
            if db.session.scalar(select(Staff.id).where(Staff.email == "owner@bench.test")) is None:
                staff_service.create_staff("owner@bench.test", PASSWORD, role="owner")
        client = app.test_client()
        client.post("/admin/login", data={"email": "owner@bench.test", "password": PASSWORD})
        year = "from=2025-01-01&to=2025-12-31"
        cases: list[tuple[str, Callable[[], Any]]] = [
            *[(f"sales report by {g}", lambda g=g: reports.sales_report(*YEAR, g)) for g in reports.GRANULARITIES],
            *[(f"top {kind} by {by}", lambda finder=finder, by=by: finder(*YEAR, by))
              for kind, finder in (("products", reports.top_products), ("categories", reports.top_categories))
              for by in ("revenue", "units")],
            ("top lists of the page (all four)", lambda: reports.top_lists(*YEAR)),
        ]
        rows = []
        with app.app_context():
            for name, run in cases:
                rows.append((name, *timed(run, args.repeat, engine)))

        def get(url: str) -> Callable[[], Any]:
            def run() -> None:
                response = client.get(url)
                if response.status_code != 200:
                    sys.exit(f"{url} answered {response.status_code}")
            return run

        for name, url in (("/admin/reports page (year by month)", f"/admin/reports?{year}&granularity=month"),
                          ("/admin/reports page (year by day)", f"/admin/reports?{year}&granularity=day"),
                          ("sales CSV (year by day)", f"/admin/reports/sales.csv?{year}&granularity=day")):
            with app.app_context():  # the engine of the app, for EXPLAIN ANALYZE; the request has its own context
                rows.append((name, *timed(get(url), args.repeat, engine)))
        with app.app_context():
            check = reports.sales_report(*YEAR, "year").totals
            server = db.session.scalar(text("SELECT version()")) if engine is not None else ""
        print(f"\nyear 2025: {check.orders} paid orders, sales {check.sales_minor} fen, "
              f"refunds {check.refunds_minor} fen, {check.new_members} new members")
        print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
              f"{server.split(' on ')[0] + ', ' if server else ''}{args.repeat} runs after one warm-up; "
              f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}\n")
        print("| report (year 2025) | median ms | fastest ms | CPU ms | PostgreSQL execution ms |\n"
              "|---|---:|---:|---:|---:|")
        for name, median, fastest, cpu, executed in rows:
            print(f"| {name} | {median:.1f} | {fastest:.1f} | {cpu:.1f} | "
                  f"{'' if executed is None else f'{executed:.1f}'} |")
    finally:
        if args.keep:
            print(f"\ninstance kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
