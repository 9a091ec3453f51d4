"""Editor Markdown to safe HTML: rendered once on save, sanitised with nh3."""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown to HTML that can be shown with |safe.

    Every page already has its own <h1>, so an editor's "# Heading" becomes an <h2>
    (toc's baselevel) instead of being stripped. Raw HTML in the text passes through
    Markdown and is then cut down to the tags above: scripts, event handlers, images,
    iframes and javascript:/data: links never survive.
    """
    html = markdown.markdown(
        text or "",
        extensions=["sane_lists", "tables", "toc"],
        extension_configs={"toc": {"baselevel": 2, "marker": ""}},
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
