"""No template of ours needs what the Content-Security-Policy forbids (sitebill/core/csp.py):
no inline `<script>` (scripts are files under static/), no `<style>` block or `style=` attribute,
no inline event handler (`onclick=`...), no `javascript:` URL. A script that needs a value from
the page reads it from a `data-` attribute (see static/web/select_all.js)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SITEBILL = Path(__file__).resolve().parents[2] / "sitebill"
TEMPLATES = sorted(
    path
    for path in SITEBILL.glob("*/templates/**/*")
    if path.is_file() and path.suffix in {".html", ".js", ".svg"}
)
FORBIDDEN = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "style= attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "inline event handler": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on attribute (evaluated code)": re.compile(r"\shx-on", re.IGNORECASE),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(SITEBILL)))
def test_the_template_needs_nothing_inline(template: Path):
    text = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.DOTALL)  # template comments
    found = [
        f"{what}: {match.group(0).strip()}"
        for what, pattern in FORBIDDEN.items()
        for match in pattern.finditer(text)
    ]
    assert found == [], f"{template.relative_to(SITEBILL)}: {found}"
    if template.suffix == ".js":
        pytest.fail("a script among the templates: move it to static/ and load it with src=")
