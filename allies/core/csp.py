"""Content-Security-Policy on every response (issue 9 §11).

Django 5.2 has no CSP of its own (6.0 brings `SECURE_CSP`); rather than a dependency for a
header, this middleware sends `settings.CONTENT_SECURITY_POLICY` (directive → sources, the
shape of Django 6's `SECURE_CSP`, so moving to it later is a rename). Scripts only ever come
from our own static files: no inline `<script>`, no `on…=` attribute, no `eval`, so the
policy never needs 'unsafe-inline' for scripts. Path prefixes in
`settings.CONTENT_SECURITY_POLICY_OVERRIDES` change some directives for pages we do not
write ourselves (the Django admin's one inline `<style>`), and always only for styles or
images, never for scripts. The policy is built per response (a few string joins) so that
tests changing the settings see their change.
"""

from __future__ import annotations

from django.conf import settings

HEADER = "Content-Security-Policy"


def _render(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]).strip() for name, sources in policy.items())


def _headers() -> tuple[str, tuple[tuple[str, str], ...]]:
    base = settings.CONTENT_SECURITY_POLICY
    overrides = tuple(
        (prefix, _render({**base, **changes}))
        for prefix, changes in settings.CONTENT_SECURITY_POLICY_OVERRIDES.items()
    )
    return _render(base), overrides


def policy_for(path: str) -> str:
    """The policy sent with the page at `path`."""
    default, overrides = _headers()
    for prefix, header in overrides:
        if path.startswith(prefix):
            return header
    return default


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Not on PDFs: Chrome shows them in a built-in viewer that object-src 'none' blocks.
        pdf = response.get("Content-Type", "").startswith("application/pdf")
        if HEADER not in response and settings.CONTENT_SECURITY_POLICY and not pdf:
            response[HEADER] = policy_for(request.path)
        return response
