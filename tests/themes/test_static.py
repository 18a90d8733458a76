"""/_theme/<theme>/<file> resolves through the chain and never leaves the static folders."""

import pytest

from xtycore.themes import render

from tests.themes.helpers import BlueprintPlugin, write_files


@pytest.fixture
def app(themed_app, write_theme, tmp_path):
    write_theme("base", static={"css/theme.css": "base css", "img/logo.png": "base logo"},
                templates={"link.html": "{{ theme_static('css/theme.css') }}"})
    write_theme("kid", parents=("base",), static={"css/theme.css": "kid css"})
    plugin_static = write_files(tmp_path / "acme_static", {"acme.js": "plugin js", "img/logo.png": "plugin logo"})
    return themed_app(plugins={"acme": BlueprintPlugin("acme", static=plugin_static)})


def get(client, url, **kwargs):
    with client.get(url, **kwargs) as response:
        return response.status_code, response.get_data(as_text=True), response.headers


def test_static_files_resolve_through_the_theme_chain_then_plugin_folders(app):
    client = app.test_client()
    assert get(client, "/_theme/kid/css/theme.css")[:2] == (200, "kid css")
    assert get(client, "/_theme/base/css/theme.css")[:2] == (200, "base css")
    assert get(client, "/_theme/kid/img/logo.png")[:2] == (200, "base logo")
    assert get(client, "/_theme/kid/acme.js")[:2] == (200, "plugin js")
    assert get(client, "/_theme/kid/nothing.css")[0] == 404
    assert get(client, "/_theme/no-such-theme/css/theme.css")[0] == 404


def test_static_responses_carry_cache_headers(app):
    status, _body, headers = get(app.test_client(), "/_theme/kid/css/theme.css")
    assert status == 200
    assert "max-age=3600" in headers["Cache-Control"] and headers["ETag"]


@pytest.mark.parametrize("url", [
    "/_theme/kid/../theme.toml",
    "/_theme/kid/..%2ftheme.toml",
    "/_theme/kid/%2e%2e/%2e%2e/kid/theme.toml",
    "/_theme/kid/css/../../theme.toml",
    "/_theme/kid//etc/passwd",
    "/_theme/kid/%2Fetc%2Fpasswd",
])
def test_paths_that_leave_the_static_folders_are_refused(app, url):
    # werkzeug redirects a doubled slash to the merged path first
    status, body, _headers = get(app.test_client(), url, follow_redirects=True)
    assert status == 404
    assert 'name = "kid"' not in body and "root:" not in body


def test_theme_static_gives_the_url_of_the_theme_being_rendered_with_its_version(app):
    with app.test_request_context("/"):
        assert render("link.html", theme="kid") == "/_theme/kid/css/theme.css?v=1.0"
        assert render("link.html", theme="base") == "/_theme/base/css/theme.css?v=1.0"


def test_the_default_layout_links_its_stylesheet_through_the_active_theme(xty_client):
    html = xty_client.get("/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/_theme/default/css/theme.css?v=0.1.0">' in html
    status, css, _headers = get(xty_client, "/_theme/default/css/theme.css?v=0.1.0")
    assert status == 200 and "--primary" in css
