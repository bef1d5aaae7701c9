"""Reading rendered pages in tests: visible text and the values a form would submit."""
import re
from html import unescape
from html.parser import HTMLParser


def text_of(response) -> str:
    """The page's visible text, roughly: tags removed and whitespace collapsed."""
    html = response.get_data(as_text=True) if hasattr(response, "get_data") else response
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.widgets: dict[str, dict] = {}   # name -> attributes of the first control with that name
        self._select = None
        self._textarea = None
        self._option = None

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            self.widgets.setdefault(name, {"tag": tag, **a})
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(name, a.get("value", "on"))
                else:
                    self.values.setdefault(name, [])
            elif kind != "file":
                self._add(name, a.get("value", ""))
        elif tag == "select" and name:
            self.widgets.setdefault(name, {"tag": tag, **a})
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select:
            self._option = a
            if "selected" in a:
                self._add(self._select, a.get("value", ""))
        elif tag == "textarea" and name:
            self.widgets.setdefault(name, {"tag": tag, **a})
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data


def read_form(response):
    """(values, widgets): every named control's value(s) and its attributes, as the browser sees them."""
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    for name, widget in reader.widgets.items():  # browsers drop one newline right after <textarea>
        if widget["tag"] == "textarea":
            reader.values[name] = [v[1:] if v.startswith("\n") else v for v in reader.values[name]]
    values = {k: (v[0] if len(v) == 1 else v) for k, v in reader.values.items()}
    return values, reader.widgets


def submit_disabled(response) -> bool:
    """Whether the task form's submit button (提交) is disabled."""
    html = response.get_data(as_text=True)
    match = re.search(r"<button type=\"submit\" class=\"btn btn-primary\"([^>]*)>\s*提交", html)
    assert match, "no submit button"
    return "disabled" in match.group(1)
