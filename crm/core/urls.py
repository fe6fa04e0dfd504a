"""Where a link the user sent may take the browser: a path on this site, never another host."""

import re
from urllib.parse import unquote, urlsplit

# Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so "/\t/evil.example"
# and "/\evil.example" are "//evil.example" to them; NUL and other control characters have no place
# in a path either. Percent-encoded, the same characters are refused too: they may be decoded once more
# by whatever reads the path next.
_REFUSED = re.compile(r"[\x00-\x1f\x7f\\]")


def same_site_path(target: str | None, host: str | None = None) -> str | None:
    """target if it is a path on this site ("/projects/?page=2"), else None.

    With host (the request's), an absolute http(s) URL on that host (a Referer) counts as its path.
    Refused: other hosts, schemes (javascript:), scheme-relative "//host", "/\\host", control
    characters and their percent-encoded forms, relative paths.
    """
    if not target:
        return None
    parts = urlsplit(target)
    if host is not None and parts.scheme in ("http", "https") and parts.netloc == host:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        parts = urlsplit(target)
    decoded = unquote(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or decoded.startswith("//")
        or _REFUSED.search(target)
        or _REFUSED.search(decoded)
    ):
        return None
    return target
