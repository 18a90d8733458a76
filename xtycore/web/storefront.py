"""The storefront blueprint: pages rendered through the active theme, and the error pages.

Handlers stay thin: each builds its page context with a ``*_context`` function
and calls :func:`xtycore.themes.render`. :data:`PAGE_SAMPLES` holds one example
context per page; ``xty theme check`` and ``xty theme preview`` render with
them, and docs/themes.md documents the same variables (a test keeps them in step).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from xtycore.extensions import db
from xtycore.themes import render

log = logging.getLogger("xtycore.storefront")

bp = Blueprint("storefront", __name__)


@dataclass(frozen=True)
class ErrorView:
    """What error pages see as ``error``."""

    code: int
    #: werkzeug's English name of the status, e.g. "Not Found"
    name: str
    #: werkzeug's English explanation; themes usually write their own copy
    description: str


def home_context() -> dict[str, Any]:
    """The home page's own variables (none yet: featured products come with the catalogue)."""
    return {}


def error_context(error: HTTPException) -> dict[str, Any]:
    return {"error": ErrorView(error.code or 500, error.name, error.description or "")}


#: page template -> a sample of its own context, beyond the common page context.
PAGE_SAMPLES: dict[str, dict[str, Any]] = {
    "layout.html": {},
    "home.html": home_context(),
    "404.html": error_context(NotFound()),
    "500.html": error_context(InternalServerError()),
}


@bp.route("/")
def home() -> str:
    return render("home.html", **home_context())


@bp.app_errorhandler(404)
def not_found(error: HTTPException) -> tuple[str, int]:
    return render("404.html", **error_context(error)), 404


@bp.app_errorhandler(500)
def server_error(error: HTTPException) -> tuple[str, int]:
    """The themed 500 page, or a plain kernel page when the theme itself fails."""
    db.session.rollback()  # a failed statement leaves the session unusable for the theme's reads
    try:
        return render("500.html", **error_context(error)), 500
    except Exception:  # the error page must render whatever broke; the cause goes to the log
        log.exception("the theme could not render 500.html; serving the kernel's plain page")
        return plain_error_page(error), 500


def plain_error_page(error: HTTPException) -> str:
    """A page built without Jinja, the theme or plugins, so nothing it needs can fail."""
    title = escape(f"{error.code} {error.name}")
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body style=\"font-family:sans-serif;margin:2rem\">"
        "<h1>服务器出错了</h1><p>抱歉，页面暂时无法显示，请稍后再试。</p>"
        "<p lang=\"en\">Sorry, something went wrong on our side. Please try again later.</p>"
        f"<p><small>{title}</small></p><p><a href=\"/\">返回首页 Home</a></p></body></html>"
    )
