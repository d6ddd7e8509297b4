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


def _raw_value(raw: str | None) -> str:
    """'="off"' → 'off' (case kept: ids are case-sensitive)."""
    return raw.split("=", 1)[-1].strip().strip("\"'") if raw else ""


def _value(raw: str | None) -> str:
    return _raw_value(raw).lower()


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


# Material's nav-item.html writes tabindex="" on the labels of navigation sections (it means "not
# focusable by default"). An empty tabindex is invalid HTML and browsers treat it as absent, so
# dropping it changes nothing for residents.
_LABEL = re.compile(r"""<label\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def _drop_attrs(tag: str, keep) -> str:
    """``tag`` without the attributes for which ``keep(name, value)`` is false."""
    for a in reversed(list(_ATTR.finditer(tag))):
        if not keep(a.group(2).lower(), _raw_value(a.group(3)) if a.group(3) else None):
            tag = tag[: a.start()] + tag[a.end():]
    return tag


def remove_empty_tabindex(html: str) -> str:
    """``html`` with ``tabindex=""`` removed from every ``<label>`` (other tags are untouched)."""
    return _LABEL.sub(lambda m: _drop_attrs(m.group(0), lambda n, v: not (n == "tabindex" and v == "")), html)


def remove_dangling_label_for(html: str) -> str:
    """``html`` with ``for`` removed from labels whose control is not on the page.

    Material's table of contents has ``<label for="__toc">`` (it closes the contents on phones), but
    the ``__toc`` checkbox is only written when the page is an ordinary nav item; on a section's
    index page it is missing, which is invalid HTML. A label without its control does nothing, so
    dropping ``for`` there changes nothing.
    """
    ids = {next(g for g in m.groups() if g is not None) for m in _ID.finditer(html)}
    return _LABEL.sub(lambda m: _drop_attrs(m.group(0), lambda n, v: not (n == "for" and v not in ids)), html)


# With navigation.indexes, a section's <nav> is aria-labelledby its toggle label, which holds only an
# icon (the section's name is on the index page's link beside it). Every section's navigation then
# has an empty accessible name: screen readers announce several unnamed "navigation" landmarks (axe
# landmark-unique). The <label class="md-nav__title"> just inside the <nav> holds the section's
# name, so the <nav> is pointed at that instead.
_SECTION_NAV = re.compile(
    r'(<nav class="md-nav" data-md-level="\d+" aria-labelledby=")([^"]+)_label("[^>]*>\s*'
    r'<label class="md-nav__title" for=")\2(")'
)


def name_section_navs(html: str) -> str:
    """Point each section <nav>'s aria-labelledby at its title label (which gets an id)."""
    return _SECTION_NAV.sub(lambda m: f'{m.group(1)}{m.group(2)}_title{m.group(3)}{m.group(2)}" id="{m.group(2)}_title"', html)


def fix_material_html(html: str) -> str:
    """Every correction above, for one finished page (the plugin calls this from on_post_page)."""
    html = remove_dangling_label_for(remove_empty_tabindex(remove_checkbox_autocomplete(html)))
    return name_section_navs(html)
