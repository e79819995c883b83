"""A one-line text box: Textual's Input, typing into which does not lay the screen out.

Input sets its virtual size (the width of its text, for scrolling sideways) on every change of
its value, and Widget's ``virtual_size`` reactive asks for a layout of the whole screen for
it: every key typed in the search box, a compose field, the snooze or export box placed every
widget again. A box whose size its CSS fixes only scrolls within itself, which needs no layout;
a box sized by its content (``width: auto``) still asks for one (Input does that itself).
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

__all__ = ["TextBox"]


class TextBox(Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
