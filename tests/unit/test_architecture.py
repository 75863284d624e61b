"""Dependencies point inward, and the text catalogues agree."""

import ast
import re
from pathlib import Path

import pytest

from views.texts import LANGUAGES, LOCALES_DIR, Html, catalogue, text

REPO = Path(__file__).resolve().parents[2]
OUTER = {"bot", "handlers", "reminders"}
FORBIDDEN = {
    "domain": {
        "telegram",
        "sqlalchemy",
        "storage",
        "outbox",
        "services",
        "views",
        "sms",
        "web",
        *OUTER,
    },
    "storage": {"telegram", "outbox", "services", "views", "sms", "web", *OUTER},
    "outbox": {"services", "views", "sms", "web", *OUTER},
    "services": {"views", "sms", "web", *OUTER},
    "views": {"sms", "web", *OUTER},
    "sms": {"telegram", "outbox", "services", "views", "web", *OUTER},
    # The desk page reads storage and domain (and the shared export); `bot` wires it in.
    "web": {"telegram", "sms", *OUTER},
    # The two features below `bot` never import each other: what both need lives below both.
    "handlers": {"bot", "reminders", "sms", "web"},
    "reminders": {"bot", "handlers", "sms", "web"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_inward(layer: str) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_roots(path) & FORBIDDEN[layer])
        for path in (REPO / layer).rglob("*.py")
        if imported_roots(path) & FORBIDDEN[layer]
    }
    assert offenders == {}


def test_every_key_exists_in_every_language() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["id"], "the Indonesian catalogue is empty"
    for lang in LANGUAGES:
        assert keys[lang] == keys["id"], f"{lang} differs: {keys[lang] ^ keys['id']}"


def test_placeholders_match_across_languages() -> None:
    field = re.compile(r"{(\w+)}")
    for key, template in catalogue("id").items():
        for lang in LANGUAGES:
            assert set(field.findall(catalogue(lang)[key])) == set(field.findall(template)), key


def test_locale_files_are_paired() -> None:
    names = {
        lang: sorted(p.name for p in (LOCALES_DIR / lang).glob("*.toml")) for lang in LANGUAGES
    }
    assert names["en"] == names["id"]


def test_values_are_escaped_unless_marked_html() -> None:
    rendered = text(
        "id", "registration.welcome", name="<Budi & Sons>", role=Html("<b>x</b>"), scope="a"
    )
    assert "&lt;Budi &amp; Sons&gt;" in rendered
    assert "<b>x</b>" in rendered
