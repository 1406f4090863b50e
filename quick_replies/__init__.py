"""Pure logic about what agents say: the reply and FAQ library, templates, the search index, phrase rules, the
linter and personal-data detectors. Never imports Textual, widgets or the console (tests/test_layering.py)."""
