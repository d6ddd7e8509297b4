"""`transparency-site pack`: the annual report as a PDF (headless Debian Chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CONFIG
from test_reports import SECTIONS_2022 as SECTIONS  # noqa: E402 - one list of the report's sections
from transparency_site import pack


def test_unknown_year_lists_the_years_available(tmp_path):
    with pytest.raises(pack.PackError) as err:
        pack.pack(CONFIG, year="2030/31", out=tmp_path / "x.pdf")
    message = str(err.value)
    assert "2030/31" in message and "2019/20, 2020/21, 2021/22, 2022/23, 2023/24" in message
    assert not (tmp_path / "x.pdf").exists()


def test_missing_config_is_a_pack_error(tmp_path):
    with pytest.raises(pack.PackError, match="does not exist"):
        pack.pack(tmp_path / "mkdocs.yml", year="2022/23")


def test_pdf_name():
    assert pack.pdf_name({"name": "Castlemere District Council"}, "2022/23") == "castlemere-district-council-complaints-report-2022-23.pdf"


@pytest.mark.browser
@pytest.mark.skipif(not Path(pack.CHROMIUM).exists() or shutil.which("pdftotext") is None, reason="needs Debian chromium and pdftotext")
def test_pack_prints_the_report_with_a_page_per_section(project):
    pdf = pack.pack(project / "mkdocs.yml", year="2022/23")
    assert pdf == project / "pack" / "castlemere-district-council-complaints-report-2022-23.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [[line.strip() for line in p.splitlines() if line.strip()] for p in text.split("\f")]
    pages = [p for p in pages if p]
    # The title, then every section starting a new page (the print stylesheet's page breaks), in order.
    assert pages[0][0].startswith("Complaints performance and service improvement")
    starts = [p[0] for p in pages]
    assert [s for s in starts if s in SECTIONS] == SECTIONS[1:]
    assert "Summary" in pages[0]
    # Figures in the text: 344 complaints, the TSMs with their numerators and denominators.
    flat = " ".join(" ".join(p) for p in pages)
    assert "344" in flat and "4,315" in flat and "97.4%" in flat
    # Page numbers in the footer.
    assert f"Page 1 of {len(pages)}" in flat and f"Page {len(pages)} of {len(pages)}" in flat
