import pytest


@pytest.fixture
def broken_app(app):
    @app.get("/-/boom")
    def boom():
        raise RuntimeError("secret /srv/repo path and git output")

    return app


def test_unexpected_errors_show_no_traceback(broken_app):
    app = broken_app
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    r = client.get("/-/boom")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "Traceback" not in body and "secret" not in body and "RuntimeError" not in body


def test_api_errors_are_json(client):
    r = client.get("/-/api/v1/nothing-here")
    assert r.status_code == 404 and r.is_json and r.get_json()["error"]


def test_method_not_allowed_is_themed(client):
    r = client.post("/-/recent")
    assert r.status_code == 405
    assert "does not accept that kind of request" in r.get_data(as_text=True)
    assert "<nav" in r.get_data(as_text=True)  # the wiki's own page, not a bare error
    r = client.delete("/-/api/v1/search?q=x")
    assert r.status_code == 405 and r.is_json


def test_invalid_name_in_url_is_4xx(client, auth):
    assert client.get("/CON").status_code == 404
    auth.login("editor")
    r = client.get("/-/edit/a:b")
    assert r.status_code == 400 and "cannot contain" in r.get_data(as_text=True)
    assert client.get("/-/history/a%00b").status_code == 400


def test_large_history_offsets_are_fine(client):
    assert client.get("/-/history/Home?page=999999").status_code == 200
    assert client.get("/-/history/Home?page=abc").status_code == 200
    assert client.get("/-/recent?page=-5").status_code == 200


def test_a_broken_repository_gets_a_plain_500_that_says_nothing_of_it(app, client, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    git_dir = app.services.pages.storage.git_dir
    missing = "1234567890abcdef1234567890abcdef12345678"
    (git_dir / "refs" / "heads" / "main").write_text(missing + "\n")
    for url in ("/", "/Home", "/WG4/Home", "/-/recent", "/-/api/v1/pages/Home"):
        r = client.get(url)
        body = r.get_data(as_text=True)
        assert r.status_code == 500, url
        assert "Something went wrong" in body or "could not be read" in body, (url, body)
        for secret in ("Traceback", "fatal:", missing, str(git_dir)):
            assert secret not in body, (url, secret)


def test_git_errors_go_to_the_log_only(app, caplog):
    from wiki.errors import StorageError

    storage = app.services.pages.storage
    with pytest.raises(StorageError) as caught:
        storage._git("cat-file", "-p", "1234567890abcdef1234567890abcdef12345678")
    assert caught.value.message == "The content repository could not be read."
    assert "fatal" in caplog.text or "1234567890abcdef" in caplog.text
