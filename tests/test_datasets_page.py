"""The generator of the data page (scripts/datasets_page.py), on a codebook that disagrees with the data."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("datasets_page", ROOT / "scripts" / "datasets_page.py")
datasets_page = importlib.util.module_from_spec(spec)
spec.loader.exec_module(datasets_page)

CODEBOOK = """# Codebook

## `trees`

**Trees**: bark thickness. Source: made up. Licence: CC0.

| column | meaning | unit and coding |
| --- | --- | --- |
| `bark` | bark thickness | mm |

## `ghost`

**Ghost**: described but not shipped.
"""


def a_repository(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "README.md").write_text(CODEBOOK)
    (tmp_path / "data" / "trees.csv").write_text("bark,tree\n1.5,a\n2.0,a\n1.0,b\n")
    (tmp_path / "data" / "orphan.csv").write_text("x\n1\n")
    return tmp_path


def test_a_csv_without_a_codebook_entry_and_an_entry_without_a_csv_are_both_reported(tmp_path):
    warnings = []
    datasets_page.page_markdown(a_repository(tmp_path), warn=warnings.append)
    assert len(warnings) == 2
    assert "data/orphan.csv has no section" in warnings[0]
    assert "describes 'ghost' but there is no data/ghost.csv" in warnings[1]


def test_the_page_shows_only_data_sets_that_are_both_shipped_and_described(tmp_path):
    markdown = datasets_page.page_markdown(a_repository(tmp_path), warn=lambda message: None)
    assert "(data-trees)=" in markdown
    assert "data-ghost" not in markdown and "data-orphan" not in markdown
    assert "**Rows:** 3; **columns:** 2" in markdown
    assert "not loaded by a chapter or assignment" in markdown


def test_a_notebook_that_loads_a_data_set_is_listed_under_it():
    used = datasets_page.uses()
    assert "chapters/pooling" in used["radon"]["chapters"]
    assert used["radon"]["assignments"] == []
