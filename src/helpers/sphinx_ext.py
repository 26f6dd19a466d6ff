"""A small Sphinx extension the book's configuration loads (``_config.yml``).

docutils writes a bibliography as ``role="list"`` whose entries carry the deprecated
ARIA role ``doc-biblioentry``, which is not a list item: assistive technology then meets
a list with no items (axe-core: ``aria-required-children``, critical). The entries are
written as list items instead, in the HTML itself rather than by a script.
"""

from __future__ import annotations


def _citation_entries_as_list_items(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    app.connect("html-page-context", _citation_entries_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
