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
