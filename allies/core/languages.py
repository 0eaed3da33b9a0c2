"""This page's address in each language (SITE-4): the language switch and the alternates.

Django's `translate_url` resolves the path again; the request has already been resolved, so
the view's name and arguments are reversed in each language instead (one `reverse` each),
once per request (the header's switch and the page's alternates share it).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils.translation import override


def page_path_in(request: HttpRequest, lang: str) -> str:
    """This page's path (without query) in `lang`; the path itself when it has no name."""
    memo = request.__dict__.setdefault("_page_paths", {})
    path = memo.get(lang)
    if path is None:
        match = request.resolver_match
        path = request.path
        if match is not None and match.view_name:
            try:
                with override(lang):
                    path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                path = translate_url(request.path, lang)
        else:
            path = translate_url(request.path, lang)
        memo[lang] = path
    return path
