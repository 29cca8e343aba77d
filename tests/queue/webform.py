"""Plain-HTTP helpers: fetch a page, and post one of its forms as a browser would."""

from __future__ import annotations

import html
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

# one cookie jar, as a browser keeps one: the flash messages ride in the session cookie
_opener = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def post(
    url: str, data: dict[str, str], headers: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    req = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode(), headers=headers or {}, method="POST"
    )
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def form(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` (csrf and its nonce)."""
    m = re.search(
        r'<form method="post" action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page, re.S
    )
    assert m, f"no form for {action}"
    return {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', m.group(1))
    }


def status(page: str, rev_id: int, number: int) -> str:
    m = re.search(rf'id="status-{rev_id}-{number}">([^<]*)<', page)
    assert m, "no draft status on the page"
    return m.group(1)


def flashes(page: str) -> list[str]:
    return [
        html.unescape(t)
        for t in re.findall(r'<p class="flash \w+" role="status">(.*?)</p>', page, re.S)
    ]


def act(base: str, rev_id: int, number: int, action: str) -> tuple[int, str, dict[str, str]]:
    """Load the series page, post the draft's ``action`` form; (status, page after, fields)."""
    _s, page = get(f"{base}/series/{rev_id}")
    fields = form(page, f"/draft/{rev_id}/{number}/{action}")
    code, after = post(f"{base}/draft/{rev_id}/{number}/{action}", fields)
    return code, after, fields
