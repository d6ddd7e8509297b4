"""theme_fixes: Material's hidden toggles lose the autocomplete attribute, nothing else changes."""

from __future__ import annotations

from transparency_site.theme_fixes import remove_checkbox_autocomplete

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
