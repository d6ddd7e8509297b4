"""Small, targeted corrections to the HTML that the Material theme writes outside any template block.

Material's base.html puts two hidden checkboxes (``__drawer`` and ``__search``) at the top of
``<body>`` with ``autocomplete="off"``. The HTML standard only allows ``autocomplete`` on
``<input>`` types that take text-like values, so the Nu HTML Checker reports an error on every
page. The attribute is there to stop Firefox restoring the toggle state after a reload; the
theme's JavaScript resets both toggles on load anyway, so removing it changes nothing for
residents. Forking base.html to drop two attributes would pin the whole theme, so the plugin
removes them from the finished page instead (plugin.on_post_page).
"""

from __future__ import annotations

import re

# A whole <input ...> tag; quoted values are matched as a unit so a ">" inside quotes cannot end
# the tag early. Attributes are then read one by one, so text inside a value is never touched.
_INPUT = re.compile(r"""<input\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_ATTR = re.compile(r"""(\s+)([^\s"'>/=]+)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _value(raw: str | None) -> str:
    return (raw or "").split("=", 1)[-1].strip().strip("\"'").lower() if raw else ""


def _strip_autocomplete(match: re.Match[str]) -> str:
    tag = match.group(0)
    attrs = list(_ATTR.finditer(tag))
    if not any(a.group(2).lower() == "type" and _value(a.group(3)) == "checkbox" for a in attrs):
        return tag
    drop = [a for a in attrs if a.group(2).lower() == "autocomplete"]
    for a in reversed(drop):
        tag = tag[: a.start()] + tag[a.end():]
    return tag


def remove_checkbox_autocomplete(html: str) -> str:
    """``html`` with the ``autocomplete`` attribute removed from every ``<input type="checkbox">``.

    Other inputs (the search box keeps ``autocomplete="off"``, which is valid there) and all other
    markup are returned unchanged, byte for byte.
    """
    return _INPUT.sub(_strip_autocomplete, html)
