"""Shared HTML pieces: escaped text, and links only for http(s)."""

from dashboard.maps.html_text import source_html, sources_html


def test_sources_never_link_other_schemes():
    items = sources_html('seed.txt; javascript:alert(1); https://a.example/x?"q"=1; data:text/html,<b>')
    assert items[0] == "seed.txt"
    assert items[1] == "javascript:alert(1)"
    assert items[2] == ('<a href="https://a.example/x?&quot;q&quot;=1" '
                        'title="https://a.example/x?&quot;q&quot;=1" target="_blank" '
                        'rel="noopener noreferrer">a.example</a>')
    assert items[3] == "data:text/html,&lt;b&gt;"


def test_long_labels_are_shortened_but_links_are_whole():
    url = "https://example.org/" + "a" * 100
    link = source_html(url, max_label=30)
    assert f'href="{url}"' in link
    assert ">example.org: " + "a" * 16 + "\u2026</a>" in link


def test_a_seed_is_shown_by_its_title_with_its_file_name_in_the_tooltip():
    item = source_html("000_15aa79ff9f371381.txt")
    assert item == ('<span class="im-seed" title="000_15aa79ff9f371381.txt">'
                    "Seed document: How Russia Uses Organized Crime for Espionage</span>")
