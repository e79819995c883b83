"""find_links / links_of: http(s) and mailto from text and HTML hrefs, each once, safe to
open and to draw; hostile schemes dropped."""

from __future__ import annotations

from types import SimpleNamespace

from o2d_inbox.render.links import MAX_LINKS, MAX_URL, Link, find_links, links_of


def urls(links):
    return [link.url for link in links]


def test_links_in_text_without_the_sentence_around_them():
    text = (
        "See https://example.com/pricing. Or (https://en.wikipedia.org/wiki/Foo_(bar)), "
        'and mail mailto:sarah@acme.com, or "https://acme.com/a?b=1&c=2"! HTTPS://UPPER.example/x'
    )
    assert urls(find_links(text)) == [
        "https://example.com/pricing",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "mailto:sarah@acme.com",
        "https://acme.com/a?b=1&c=2",
        "https://UPPER.example/x",
    ]


def test_html_hrefs_with_their_words_and_each_url_once():
    html = (
        '<p>Book <a href="https://cal.example/me?a=1&amp;b=2">a slot</a> or '
        '<a href="mailto:amy@acme.com"><b>write</b> to me</a>; '
        '<a href="https://cal.example/me?a=1&amp;b=2">again</a> <a name="x">no href</a></p>'
    )
    links = find_links("Also https://cal.example/me?a=1&b=2 in the text", html)
    assert links == [
        Link("https://cal.example/me?a=1&b=2", "https://cal.example/me?a=1&b=2"),
        Link("mailto:amy@acme.com", "write to me"),
    ]


def test_hostile_schemes_and_tricks_are_dropped():
    html = (
        '<a href="javascript:alert(1)">click</a><a href="java\nscript:alert(2)">x</a>'
        '<a href=" JaVaScRiPt:alert(3)">y</a><a href="data:text/html,<script>">z</a>'
        '<a href="file:///etc/passwd">f</a><a href="vbscript:msgbox">v</a><a href="https://">empty</a>'
        '<a href="mailto:?subject=hi">no address</a><a href="//evil.example">relative</a>'
        '<a href="https://ok.example/\x1b]0;pwned\x07">[bold red]ok[/] \x1b[2J\u202eevil</a>'
        f'<a href="https://long.example/{"a" * MAX_URL}">long</a>'
    )
    [link] = find_links(text="javascript:alert(4) file:///x", html=html)
    assert link.url == "https://ok.example/]0;pwned"
    assert link.text == "[bold red]ok[/] evil"  # text, never markup; no escapes, no bidi override
    assert not any(c in link.url + link.text for c in "\x1b\x07\u202e")


def test_a_link_whose_words_name_another_place_keeps_both():
    [link] = find_links(html='<a href="https://evil.example/login">https://bank.example</a>')
    assert (link.url, link.text) == ("https://evil.example/login", "https://bank.example")


def test_several_messages_in_order_deduplicated_and_bounded():
    messages = [
        SimpleNamespace(body_text="https://a.example and https://b.example", body_html=None),
        SimpleNamespace(
            body_text=None, body_html='<a href="https://b.example">b</a><a href="https://c.example">c, never closed'
        ),
        SimpleNamespace(body_text=" ".join(f"https://x{i}.example" for i in range(MAX_LINKS + 50)), body_html=None),
    ]
    found = urls(links_of(messages))
    assert found[:3] == ["https://a.example", "https://b.example", "https://c.example"]
    assert len(found) == MAX_LINKS == len(set(found))
    assert find_links(None, None) == [] and find_links("", "<a href=") == []
