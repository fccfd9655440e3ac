import pytest

from tests.conftest import make_app


def test_search_page_shows_ranked_results_with_snippets_and_facets(client):
    html = client.get("/-/search?q=text").get_data(as_text=True)
    assert 'href="/WG4/Home"' in html and "<mark>Text</mark>" in html
    assert "Working group" in html and "WG4" in html
    assert "1 page" in html


def test_facet_links_filter_and_can_be_removed(client):
    html = client.get("/-/search?q=text&wg=WG4").get_data(as_text=True)
    assert "Filtered by:" in html and "remove" in html
    assert client.get("/-/search?q=text&wg=WG9").status_code == 200


def test_empty_state_and_did_you_mean(client):
    html = client.get("/-/search?q=finanzing").get_data(as_text=True)
    assert "No page matches" in html and "Did you mean" in html and "financing" in html


def test_search_without_query_explains_the_syntax(client):
    html = client.get("/-/search").get_data(as_text=True)
    assert "the exact phrase" in html and "wg:WG4" in html


@pytest.mark.parametrize("query", ['"unclosed', "((", "NOT", "-", "*", "a" * 600, "wg:", "\x00"])
def test_malformed_queries_never_fail(client, query):
    assert client.get("/-/search", query_string={"q": query}).status_code == 200
    assert client.get("/-/api/v1/search", query_string={"q": query}).status_code == 200


def test_search_api(client):
    data = client.get("/-/api/v1/search?q=guarantees").get_json()
    assert data["total"] == 1 and data["page"] == 1
    result = data["results"][0]
    assert result["name"] == "WG4/Guarantees" and result["title"] == "Guarantees"
    assert result["snippet"] == "Links back to the group." and result["rank"] == 1
    assert "score" not in result  # scores would tell about words in pages one cannot read
    assert set(data["facets"]) == {"wg", "type", "country", "lang", "tags", "folder"}
    data = client.get("/-/api/v1/search?q=financing&wg=WG4&sort=date").get_json()
    assert [r["name"] for r in data["results"]] == ["WG4/Home"]
    assert data["facets"]["wg"] == {"WG4": 1}


def test_suggest_api(client):
    assert client.get("/-/api/v1/suggest?q=guar").get_json() == [
        {"name": "WG4/Guarantees", "title": "Guarantees"}
    ]
    assert client.get("/-/api/v1/suggest?q=").get_json() == []


def test_a_save_is_searchable_in_the_same_request(client, auth, app):
    auth.login("editor")
    auth.post(
        "/-/edit/WG2/Eco", {"content": "# Eco\n\nCircular economy pilots.\n", "base_revision": ""}
    )
    data = client.get("/-/api/v1/search?q=circular").get_json()
    assert [r["name"] for r in data["results"]] == ["WG2/Eco"]


@pytest.fixture
def private_app(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, READ_ACCESS="registered")
    yield app
    app.close()


def test_search_honours_read_access(private_app):
    client = private_app.test_client()
    assert client.get("/-/search?q=guarantees").status_code == 302
    assert client.get("/-/api/v1/search?q=guarantees").status_code == 401
    assert client.get("/-/api/v1/suggest?q=guar").status_code == 401


def test_search_results_carry_their_position_across_pages(client, app):
    from tests.conftest import TEST_AUTHOR

    wiki = app.services.pages
    for i in range(13):
        wiki.save_page(
            f"WG4/Rankpage {i}",
            f"# Rankpage {i}\n\nzebrafinch {i}\n",
            author=TEST_AUTHOR,
            message="",
            base_revision=None,
        )
    first = client.get("/-/api/v1/search?q=zebrafinch").get_json()
    second = client.get("/-/api/v1/search?q=zebrafinch&page=2").get_json()
    assert first["total"] == 13
    assert [r["rank"] for r in first["results"] + second["results"]] == list(range(1, 14))
    names = [r["name"] for r in first["results"] + second["results"]]
    assert len(set(names)) == 13
