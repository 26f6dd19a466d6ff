"""A small Sphinx extension the book's configuration loads (``_config.yml``).

The search page of the theme writes the book's title into its ``<title>`` unescaped,
where every other page escapes it: a cohort title holding markup would run as script
there. The page gets the escaped title instead; so do the page titles sphinx-book-theme
writes into its print heading and sidebar (a default landing page is titled by the
cohort's ``title``).

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


def _escaped_theme_titles(app, pagename, templatename, context, doctree) -> None:
    # sphinx-book-theme sets these to a title's plain text (``astext()``: markup in the
    # title's text comes back unescaped) and writes them into its templates as they are:
    # the print heading of every page and the sidebar's link to the landing page.
    from markupsafe import Markup, escape

    for key in ("pagetitle", "root_title"):
        if key in context and not isinstance(context[key], Markup):
            context[key] = Markup(escape(context[key]))


def setup(app):
    app.connect("html-page-context", _citation_entries_as_list_items)
    app.connect("html-page-context", _escaped_search_title)
    # after sphinx-book-theme's add_metadata_to_page (priority 500)
    app.connect("html-page-context", _escaped_theme_titles, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
