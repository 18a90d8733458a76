from xtycore.cli import main


def test_app_serves_home_page(xty_client):
    response = xty_client.get("/")
    assert response.status_code == 200


def test_builtin_plugins_are_loaded_and_listed(xty_app, xty_cli):
    result = xty_cli.invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "xtycore.normalize" in result.output
    assert "built-in" in result.output
