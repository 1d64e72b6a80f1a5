"""Which URLs a backend may send us to, and the one HTTP client that follows them.

A location from a firmware or log request is untrusted text. It is taken only if it is a plain
http or https URL made of the characters RFC 3986 allows, with a host, without credentials,
control characters or ``.``/``..`` path segments. The client can speak nothing but HTTP(S)
(no file:, ftp: or data: handler at all) and checks every redirect target the same way; a
redirect may not leave https.
"""

from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote, urlsplit

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2048
MAX_REDIRECTS = 5
_URI_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ENCODED_CONTROL = re.compile(r"%(?:[01][0-9A-Fa-f]|7[Ff])")


class LocationError(ValueError):
    """A URL we refuse to use, with the reason."""


def check_location(url: Any) -> str:
    """Return ``url`` if it is a usable http(s) location; raise :class:`LocationError` if not."""
    if not isinstance(url, str) or not url:
        raise LocationError("the location must be a non-empty string")
    if len(url) > MAX_URL_LENGTH:
        raise LocationError(f"the location is longer than {MAX_URL_LENGTH} characters")
    if not _URI_CHARACTERS.match(url):
        raise LocationError("the location contains characters a URL may not contain "
                          "(spaces, control characters, quotes, `, |, <, >, \\, ...)")
    if _BAD_PERCENT.search(url) or _ENCODED_CONTROL.search(url):
        raise LocationError("the location has a malformed or control-character %-escape")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise LocationError(f"scheme '{parts.scheme}' is not supported; use http or https")
    if "@" in parts.netloc:
        raise LocationError("credentials in the URL are not supported")
    try:
        parts.port  # noqa: B018 - reading it raises ValueError for a bad port
    except ValueError as exc:
        raise LocationError(f"bad port: {exc}") from None
    if not parts.hostname:
        raise LocationError("the location names no host")
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        raise LocationError("the location's path has '.' or '..' segments")
    return url


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a location :func:`check_location` accepts, never off https."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        try:
            check_location(newurl)
            if urlsplit(req.full_url).scheme == "https" and urlsplit(newurl).scheme != "https":
                raise LocationError("a redirect may not leave https")
        except LocationError as exc:
            raise urllib.error.HTTPError(req.full_url, code, f"refused redirect: {exc}", headers,
                                         fp) from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_client() -> urllib.request.OpenerDirector:
    """An opener with HTTP and HTTPS only (certificates checked), proxies from the environment."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(context=ssl.create_default_context()),
                    urllib.request.HTTPDefaultErrorHandler(), _CheckedRedirects(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener
