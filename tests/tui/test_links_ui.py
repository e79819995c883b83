"""The link picker (tui/links.py) on a tiny host app: it lists what render/links.py found,
enter / a number opens the link with app.open_url, c copies it, esc opens nothing."""

from __future__ import annotations

from textual.app import App

from o2d_inbox.render.links import find_links
from o2d_inbox.tui.links import LinkPicker
from tests.tui.harness import settle

HTML = (
    '<p>Pick <a href="https://cal.example/sarah">a time</a>, see '
    '<a href="javascript:alert(1)">this</a> or write to <a href="mailto:sarah@acme.com">me</a>.</p>'
)


class Host(App):
    def __init__(self, links) -> None:
        super().__init__()
        self.links, self.opened, self.copied, self.results = links, [], [], []

    def on_mount(self) -> None:
        self.push_screen(LinkPicker(self.links, "Links · sarah@acme.com"), self.results.append)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.opened.append(url)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)


def links():
    return find_links("Pricing: https://acme.example/pricing.", HTML)


async def test_enter_opens_the_highlighted_link():
    app = Host(links())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        prompts = [str(o.prompt) for o in app.screen.query_one("#links").options]
        assert prompts == [
            "1  https://acme.example/pricing",
            "2  a time\n↳ https://cal.example/sarah",
            "3  me\n↳ mailto:sarah@acme.com",
        ]  # the javascript: one is not offered
        await pilot.press("j", "enter")
        await settle(pilot)
    assert app.opened == ["https://cal.example/sarah"] and app.results == ["https://cal.example/sarah"]


async def test_a_number_opens_c_copies_and_esc_opens_nothing():
    app = Host(links())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.copied == ["https://acme.example/pricing"] and isinstance(app.screen, LinkPicker)
        await pilot.press("3")
        await settle(pilot)
    assert app.opened == ["mailto:sarah@acme.com"]

    app = Host(links())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert app.opened == [] and app.results == [None]


async def test_no_links_says_so():
    app = Host([])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "No links" in str(app.screen.query_one("#links-empty").render())
        await pilot.press("enter", "c", "1", "escape")
        await settle(pilot)
    assert app.opened == [] and app.copied == [] and app.results == [None]


def test_snapshot_link_picker(snap_compare):
    """The link picker at 80×24: each link's words, and under them where it really goes."""
    assert snap_compare(Host(links()), terminal_size=(80, 24))
