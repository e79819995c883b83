"""render/ is usable without Textual (the TUI is only one of its callers)."""

import subprocess
import sys


def test_render_does_not_import_textual():
    code = (
        "import sys\n"
        "from o2d_inbox.render import dates, html, quote, text\n"
        "html.html_to_text('<p>x</p>'); text.fit(text.safe_line('x'), 3)\n"
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), 'textual imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
