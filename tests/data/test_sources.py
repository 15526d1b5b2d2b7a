"""Sources as people read them: seed documents by title, links by site and page."""

from __future__ import annotations

from dashboard.data.sources import readable, readable_sources, seed_titles, url_label


def test_every_seed_has_a_title_from_the_seeds_readme():
    titles = seed_titles()
    assert titles["000_15aa79ff9f371381.txt"] == "How Russia Uses Organized Crime for Espionage"
    assert len(titles) == 3 and all(titles.values())


def test_a_seed_is_shown_by_its_title_never_by_its_file_name():
    source = readable("000_15aa79ff9f371381.txt")
    assert source.label == "Seed document: How Russia Uses Organized Crime for Espionage"
    assert source.seed and source.url is None
    assert "15aa79ff" not in source.label


def test_links_are_shown_by_site_and_page_and_keep_their_address():
    source = readable("https://en.wikipedia.org/wiki/Stepan_Bandera")
    assert (source.label, source.url) == ("Wikipedia: Stepan Bandera",
                                          "https://en.wikipedia.org/wiki/Stepan_Bandera")
    assert url_label("https://www.dw.com/en/") == "dw.com"  # a language code is no page name
    # a numeric slug is never shown: the publisher alone
    assert url_label("https://www.rferl.org/a/30416291.html") == "rferl.org"
    assert url_label("https://moabit.net/11754") == "moabit.net"
    assert url_label("https://example.org") == "example.org"


def test_other_text_is_kept_and_a_script_link_is_not_a_link():
    items = readable_sources("The Ukrainian Weekly: Oct. 15, 1959; javascript:alert(1)")
    assert [s.label for s in items] == ["The Ukrainian Weekly: Oct. 15, 1959", "javascript:alert(1)"]
    assert all(s.url is None for s in items)


# --------------------------------------------------------------------------- the catalogue

def _catalogue(text: str):
    from dashboard.data.sources import parse_catalogue
    return parse_catalogue(text.encode("utf-8"))


def test_a_catalogued_link_reads_publisher_colon_headline():
    catalogue = _catalogue("url,publisher,headline,published\n"
                           "https://example.org/news/1,Example News,Something happened,2024-05\n"
                           "https://example.org/news/spies-expelled,Example News,,\n"
                           "https://example.org/news/2,Example News,,\n")
    first = readable("https://example.org/news/1", catalogue)
    assert (first.label, first.headline_from) == ("Example News: Something happened", "page")
    second = readable("https://example.org/news/spies-expelled", catalogue)
    assert (second.label, second.headline_from) == ("Example News: spies expelled", "address")
    numbered = readable("https://example.org/news/2", catalogue)  # a number says nothing
    assert (numbered.label, numbered.headline_from) == ("Example News", "")
    unknown = readable("https://www.dw.com/en/some-story-told/a-123", catalogue)
    assert unknown.label == "dw.com" and unknown.publisher == "dw.com"
    worded = readable("https://www.dw.com/en/some-story-told", catalogue)
    assert worded.label == "dw.com: some story told" and worded.headline_from == "address"


def test_bad_catalogue_rows_are_named_and_left_out_and_a_bad_file_is_one_line():
    import pytest

    from dashboard.data.sources import CatalogueError, parse_catalogue
    catalogue = _catalogue("url,publisher,headline\n"
                           "javascript:alert(1),Evil,x\n"
                           f"https://a.org/1,A,{'x' * 3000}\n"
                           "https://a.org/2,A,Fine\n"
                           "https://a.org/2,B,Again\n")
    assert list(catalogue) == ["https://a.org/2"]
    assert catalogue["https://a.org/2"].publisher == "A"
    assert [p.split(":")[0] for p in catalogue.problems] == [
        "sources.csv row 2, column url", "sources.csv row 3, column headline",
        "sources.csv row 5, column url"]
    for raw, message in ((b"\xff\xfe\x00bad", "not UTF-8"), (b"a,b\n1,2\n", "no 'url' column")):
        with pytest.raises(CatalogueError, match=message):
            parse_catalogue(raw)


def test_control_characters_in_a_catalogue_never_reach_a_label():
    catalogue = _catalogue('url,publisher,headline\nhttps://a.org/1,"Pub\nlisher","Head\x07line"\n')
    assert readable("https://a.org/1", catalogue).label == "Pub lisher: Head line"


def test_the_curated_catalogue_names_every_link_of_the_curated_dataset():
    import csv

    from dashboard.data.sources import BUNDLED_CATALOGUE, catalogue_for, dataset_urls
    from tests.conftest import CURATED

    with CURATED.open(encoding="utf-8", newline="") as handle:
        urls = dataset_urls(row["sources"] for row in csv.DictReader(handle))
    catalogue = catalogue_for(CURATED)
    assert catalogue.problems == []
    assert sorted(set(urls) - set(catalogue)) == []
    assert all(catalogue[url].publisher for url in urls)
    assert sorted(set(catalogue) - set(urls)) == []  # no entry for a link no row cites
    assert BUNDLED_CATALOGUE.parent == CURATED.parent
