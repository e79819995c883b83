from o2d_inbox.render.compose import clean_body, text_to_html


def test_html_is_escaped_with_paragraphs_and_breaks():
    html = text_to_html('Hi <b>Bob</b> & "co",\nline two\r\n\r\n\n  second para\x1b[31m')
    assert html == ("<p>Hi &lt;b&gt;Bob&lt;/b&gt; &amp; &quot;co&quot;,<br>\nline two</p>\n<p>second para[31m</p>")


def test_empty_and_control_characters():
    assert text_to_html("") == "" and text_to_html(" \n\n ") == ""
    assert clean_body("a\x00b\tc\r\nd \n\n") == "ab\tc\nd"
