"""Fixtures of the end-to-end tests: a real shop served over HTTP, and headless Chromium to shop in it.

- ``live_shop``: the app with the first-party plugins enabled, one instance of
  each of their capability types configured from its ``demo_settings``, a small
  catalogue with pictures made through the catalogue services, served by
  werkzeug on 127.0.0.1 (a free port) from a background thread. Jobs run when
  enqueued, so the sandbox's signed callback reaches the shop's webhook inbox
  over HTTP like a real gateway's. A request that raises fails the test.
- ``browser``: the system's Chromium (``/usr/bin/chromium``), driven by
  Playwright's sync API. No browser is ever downloaded; without that file the
  tests are skipped (CI installs it: ``.ci/run``).
- ``shopper``: a factory of browser pages at a named viewport; JavaScript errors
  and server errors seen by the page fail the test.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import got_request_exception
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import delete
from werkzeug.serving import make_server

from xtycore.domain.catalog import ProductStatus
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import ProductImage
from xtycore.registry import KINDS
from xtycore.services import capabilities, catalog, catalog_review, images
from xtycore_payment_sandbox.models import SandboxRefund, SandboxTrade

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, as root (CI), on a machine with no network but the loopback.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Milliseconds any one Playwright action, wait or ``expect`` may take before the test fails.
TIMEOUT_MS = 15_000
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
#: name -> browser context options; the walk runs once at each.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 375, "height": 812}, "user_agent": PHONE_USER_AGENT,
        "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
    },
}
WQY_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


# --------------------------------------------------------------------------
# the shop
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A product of the test catalogue: its title, and its variants as (option value, SKU, price, stock)."""

    title: str
    title_en: str
    category: str
    colour: str
    variants: tuple[tuple[str, str, str, int], ...]
    option: str = "规格"


#: Few products, so the shop starts fast; Chinese titles, since the shoppers search in Chinese.
CATALOGUE = (
    Item("西湖龙井 明前特级", "West Lake Longjing, pre-Qingming", "茶叶/绿茶", "#7fa36b",
         (("50克", "E2E-LJ-50", "68.00", 20), ("250克", "E2E-LJ-250", "298.00", 20))),
    Item("安溪铁观音 清香型", "Anxi Tieguanyin", "茶叶/乌龙茶", "#b9894f",
         (("250克", "E2E-TGY-250", "88.00", 20),)),
    Item("青瓷盖碗", "Celadon gaiwan", "茶具", "#8fb8b0",
         (("150毫升", "E2E-GW-150", "45.00", 5),)),
)
DESCRIPTION = (
    "<p>{title}：产自原产地，当季采摘，小批量制作，密封包装，开袋即可享用。"
    "冲泡建议：八十五度左右的热水，第一泡三十秒，之后每泡延长十秒。</p>"
)


@dataclass
class LiveShop:
    """A shop served over HTTP for a browser: its base URL, and the app (for database checks)."""

    url: str
    app: Any
    #: exceptions raised while handling requests; the fixture fails the test if there are any
    errors: list[BaseException] = field(default_factory=list)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def xty_config() -> dict[str, Any]:
    """A shop as it runs for customers: CSRF checked, URLs of the host the browser asked for.

    argon2id at its cheapest: these tests register a customer, they do not test hashing.
    """
    return {
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
        "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1,
    }


def picture(title: str, colour: str) -> BytesIO:
    """A product photo stand-in: the title on a coloured square, as a JPEG."""
    image = Image.new("RGB", (800, 800), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((160, 160, 640, 640), fill="#f6f1e7")
    font = ImageFont.truetype(str(WQY_FONT), 64) if WQY_FONT.exists() else ImageFont.load_default()
    draw.text((400, 400), title[:4], fill="#333333", font=font, anchor="mm")
    out = BytesIO()
    image.save(out, "JPEG", quality=85)
    out.seek(0)
    return out


def configure_capabilities() -> None:
    """One instance of every capability type of the enabled plugins that offers ``demo_settings``."""
    registry = get_kernel().registry
    for kind in KINDS:
        for ctype in registry.types(kind):
            settings = getattr(ctype.obj, "demo_settings", None)
            if settings is not None:
                capabilities.create_instance(kind, ctype.code, display_name=ctype.name, settings=dict(settings))


def stock_catalogue() -> None:
    """Save, picture and publish :data:`CATALOGUE` through the catalogue services."""
    for item in CATALOGUE:
        with transaction():
            product = catalog.save_product(catalog.ProductInput(
                title=item.title, title_en=item.title_en, category=item.category, brand="小甜园",
                description_html=DESCRIPTION.format(title=item.title),
                variants=[
                    catalog.VariantInput(sku=sku, price=Money(price), options={item.option: value},
                                         weight_grams=300, stock=stock)
                    for value, sku, price, stock in item.variants
                ],
            ))
            saved = images.save_image(picture(item.title, item.colour), f"{item.variants[0][1]}.jpg", product.id)
            product.images.append(ProductImage(path=saved.path, width=saved.width, height=saved.height,
                                               alt=item.title, position=0))
            outcome = catalog_review.publish_in_session(product)
            assert outcome.status is ProductStatus.ACTIVE, outcome.findings


def clear_sandbox_trades(app) -> None:
    """The sandbox plays a remote gateway: its tables are not the kernel's, so the kernel's reset leaves them."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(delete(SandboxRefund))
            conn.execute(delete(SandboxTrade))


@pytest.fixture
def live_shop(xty_make_app) -> Iterator[LiveShop]:
    app = xty_make_app(plugins={"courier_standard": None, "payment_cod": None, "payment_sandbox": None})
    with app.app_context():
        configure_capabilities()
        stock_catalogue()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    shop = LiveShop(url=f"http://127.0.0.1:{server.port}", app=app)

    def record(sender: Any, exception: BaseException, **extra: Any) -> None:
        shop.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, name="e2e-shop", daemon=True)
    thread.start()
    try:
        yield shop
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record, app)
        clear_sandbox_trades(app)
    assert not shop.errors, f"the shop failed while serving the browser: {shop.errors!r}"


# --------------------------------------------------------------------------
# the browser
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for the module's tests (one launch per module keeps Playwright's event loop contained)."""
    if not CHROMIUM.exists():
        pytest.skip(f"end-to-end tests need Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Problems:
    """What went wrong in the browser: uncaught JavaScript errors and server errors it received."""

    script_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)


@pytest.fixture
def shopper(browser, live_shop) -> Iterator[Callable[[str], Any]]:
    """``shopper(viewport_name)`` -> a fresh page (own cookies) at that viewport, in Chinese."""
    contexts = []
    problems = Problems()

    def open_page(viewport: str):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.script_errors.append(str(error)))
        page.on("response", lambda response: response.status >= 500
                and problems.server_errors.append(f"{response.status} {response.url}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems == Problems(), f"the browser saw errors: {problems}"
