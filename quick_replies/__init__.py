"""Pure logic about what agents say: reply/FAQ library, templates, search index, phrase rules, linter, PII.

Empty until the quick-replies issue lands; the package exists now so the layering contract covers it.
"""
