"""A small Sphinx extension the book's configuration loads (``_config.yml``).

The search page of the theme writes the book's title into its ``<title>`` unescaped,
where every other page escapes it: a cohort title holding markup would run as script
there. The page gets the escaped title instead.

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


def _escaped_search_title(app, pagename, templatename, context, doctree) -> None:
    if pagename == "search" and not context.get("title"):
        from markupsafe import Markup, escape

        context["title"] = Markup(escape(context.get("docstitle") or ""))


def setup(app):
    app.connect("html-page-context", _citation_entries_as_list_items)
    app.connect("html-page-context", _escaped_search_title)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
