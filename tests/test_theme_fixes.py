"""theme_fixes: the small corrections to Material's own markup; nothing else on the page changes."""

from __future__ import annotations

from transparency_site.theme_fixes import (
    fix_material_html,
    name_section_navs,
    remove_checkbox_autocomplete,
    remove_dangling_label_for,
    remove_empty_tabindex,
)

MATERIAL_TOGGLES = (
    '<input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer" autocomplete="off">\n'
    '<input class="md-toggle" data-md-toggle="search" type="checkbox" id="__search" autocomplete="off">'
)
SEARCH_BOX = (
    '<input type="text" class="md-search__input" name="query" aria-label="Search this site" '
    'autocapitalize="off" autocorrect="off" autocomplete="off" spellcheck="false" required>'
)


def test_material_toggles_lose_autocomplete():
    out = remove_checkbox_autocomplete(MATERIAL_TOGGLES)
    assert out == (
        '<input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer">\n'
        '<input class="md-toggle" data-md-toggle="search" type="checkbox" id="__search">'
    )


def test_text_inputs_keep_autocomplete():
    assert remove_checkbox_autocomplete(SEARCH_BOX) == SEARCH_BOX


def test_other_markup_is_unchanged_byte_for_byte():
    page = (
        "<!doctype html><html><body>\n"
        '<p title="type=checkbox autocomplete=off">autocomplete="off" type="checkbox"</p>\n'
        '<input type="radio" name="__palette" autocomplete="off">\n'
        '<form><input data-autocomplete="x" type="checkbox" id="a"></form>\n'
        "</body></html>"
    )
    assert remove_checkbox_autocomplete(page) == page


def test_attribute_spellings():
    cases = {
        "<INPUT TYPE=CHECKBOX AUTOCOMPLETE=off id=x>": "<INPUT TYPE=CHECKBOX id=x>",
        "<input autocomplete type='checkbox'>": "<input type='checkbox'>",
        '<input type="checkbox" title="a > b" autocomplete="off" />': '<input type="checkbox" title="a > b" />',
    }
    for before, after in cases.items():
        assert remove_checkbox_autocomplete(before) == after


def test_empty_tabindex_removed_from_labels_only():
    html = (
        '<label class="md-nav__link " for="__nav_4" id="__nav_4_label" tabindex="">x</label>'
        '<label class="md-nav__link" for="__nav_5" tabindex="0">y</label>'
        '<div tabindex="">z</div>'
    )
    assert remove_empty_tabindex(html) == (
        '<label class="md-nav__link " for="__nav_4" id="__nav_4_label">x</label>'
        '<label class="md-nav__link" for="__nav_5" tabindex="0">y</label>'
        '<div tabindex="">z</div>'
    )


def test_label_for_a_missing_control_loses_for():
    toc_label = '<label class="md-nav__title" for="__toc">Contents</label>'
    without_control = f'<input type="checkbox" id="__drawer">{toc_label}'
    assert remove_dangling_label_for(without_control) == (
        '<input type="checkbox" id="__drawer"><label class="md-nav__title">Contents</label>'
    )
    with_control = f'<input class="md-toggle" type="checkbox" id="__toc">{toc_label}'
    assert remove_dangling_label_for(with_control) == with_control
    # ids are case-sensitive
    assert 'for="__TOC"' not in remove_dangling_label_for('<input id="__toc"><label for="__TOC">x</label>')


def test_fix_material_html_on_a_whole_page():
    page = (
        "<!doctype html><html lang=en-GB><body>\n"
        '<input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer" autocomplete="off">\n'
        '<label class="md-overlay" for="__drawer"></label>\n'
        '<label class="md-nav__link" for="__nav_2" id="__nav_2_label" tabindex="">Performance</label>\n'
        '<input class="md-nav__toggle md-toggle" type="checkbox" id="__nav_2">\n'
        '<label class="md-nav__title" for="__toc">Contents</label>\n'
        "</body></html>"
    )
    assert fix_material_html(page) == (
        "<!doctype html><html lang=en-GB><body>\n"
        '<input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer">\n'
        '<label class="md-overlay" for="__drawer"></label>\n'
        '<label class="md-nav__link" for="__nav_2" id="__nav_2_label">Performance</label>\n'
        '<input class="md-nav__toggle md-toggle" type="checkbox" id="__nav_2">\n'
        '<label class="md-nav__title">Contents</label>\n'
        "</body></html>"
    )


def test_section_nav_is_named_by_its_title():
    nav = (
        '<label class="md-nav__link " for="__nav_4" id="__nav_4_label" tabindex=""><span class="md-icon"></span></label>\n'
        '<nav class="md-nav" data-md-level="1" aria-labelledby="__nav_4_label" aria-expanded="false">\n'
        '  <label class="md-nav__title" for="__nav_4">\n    <span class="md-nav__icon md-icon"></span>\n    Performance\n  </label>'
    )
    out = name_section_navs(nav)
    assert 'aria-labelledby="__nav_4_title"' in out
    assert '<label class="md-nav__title" for="__nav_4" id="__nav_4_title">' in out
    assert 'id="__nav_4_label"' in out  # the toggle keeps its own id
    # A nav whose title is for another control is left alone.
    other = nav.replace('for="__nav_4">', 'for="__nav_9">')
    assert name_section_navs(other) == other
