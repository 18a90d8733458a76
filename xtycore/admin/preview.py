"""Theme preview: a staff member browses the storefront in another theme; nobody else sees it.

Starting a preview (the themes screen) sets a cookie signed with the shop's
secret, naming the theme and the staff member. On every request the cookie is
honoured only while that same staff member is signed in and still holds
``themes.manage``; otherwise it is ignored. A previewed page is rendered for
that browser alone: never stored in the page cache, and marked private.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from xtycore.admin.auth import current_staff
from xtycore.domain.staff import permissions_of
from xtycore.themes import PREVIEW_THEME_KEY, get_themes

COOKIE = "xty_theme_preview"
SALT = "xtycore.theme-preview"
#: Seconds a preview lasts before the storefront shows the active theme again.
MAX_AGE = 8 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def preview_cookie(theme: str, staff_id: int) -> str:
    return _serializer().dumps({"t": theme, "s": staff_id})


def previewed_theme() -> str | None:
    """The theme this request previews, if its cookie is genuine and its staff member may preview."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    staff = current_staff()
    if staff is None or staff.id != data.get("s") or "themes.manage" not in permissions_of(staff.role):
        return None
    theme = data.get("t")
    return theme if isinstance(theme, str) and theme in get_themes() else None


def _apply() -> None:
    theme = previewed_theme()
    if theme is not None:
        from xtycore.web import page_cache

        g.setdefault(PREVIEW_THEME_KEY, theme)
        page_cache.bypass()


def _private(response: Response) -> Response:
    if g.get(PREVIEW_THEME_KEY):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def start(response: Response, theme: str, staff_id: int) -> None:
    response.set_cookie(COOKIE, preview_cookie(theme, staff_id), max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def stop(response: Response) -> None:
    response.delete_cookie(COOKIE)


def init_preview(app: Flask) -> None:
    app.before_request(_apply)
    app.after_request(_private)
