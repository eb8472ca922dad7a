"""The README's table of contents lists exactly its sections, with working anchors."""

from __future__ import annotations

from tools.readme_toc import README, anchor, headings, with_toc


def test_the_table_of_contents_is_current():
    text = README.read_text(encoding="utf-8")
    assert with_toc(text) == text, "README.md's table of contents is stale: run `make toc`"


def test_anchors_follow_githubs_rules():
    seen: dict[str, int] = {}
    assert anchor("Backups and `ops verify-backups`", seen) == "backups-and-ops-verify-backups"
    assert anchor("Promotion (`ops promote`)", seen) == "promotion-ops-promote"
    assert anchor("Promotion (`ops promote`)", seen) == "promotion-ops-promote-1"


def test_headings_inside_code_blocks_are_not_sections():
    assert headings("## One\n```sh\n## not a heading\n```\n## Two\n") == ["One", "Two"]
