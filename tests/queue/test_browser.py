"""The acceptance path in real headless Chromium: read, edit, approve, send, check the mail.

A screenshot of every page is written to tests/.artifacts/queue (or
$REVIEWBOT_ARTIFACTS/queue) for a person to look at.
"""

from __future__ import annotations

import re
import sqlite3
import time
from email import policy
from email.parser import BytesParser

import pytest

from reviewbot.outbox import body_text
from tests.queue.conftest import (
    HOSTILE_CODE,
    HOSTILE_NAME,
    HOSTILE_SUBJECT,
    artifacts,
    queue_config,
)

DRAFT = "0001-usb-serial-acme-report-line-status.eml"
ADDED = "Thanks, Dana. One remark below; the rest of the series looks fine to me."


def by(kind: str):
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def shot(driver, name: str) -> None:
    """A screenshot of the whole page: the window is made as tall as the page first."""
    driver.set_window_size(1280, 900)  # measure from a small window: the page, not the last one
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    )
    driver.set_window_size(1280, min(max(900, height + 160), 8000))
    assert driver.save_screenshot(str(artifacts() / f"{name}.png"))


def click(driver, element, timeout: float = 60) -> None:
    """Click a link or button and wait until the page it leads to is the current one."""
    from selenium.common.exceptions import WebDriverException

    old = driver.find_element(by("TAG_NAME"), "html").id
    element.click()
    deadline = time.monotonic() + timeout
    while True:
        try:  # mid-navigation Chromium may answer with an error: keep looking
            if driver.find_element(by("TAG_NAME"), "html").id != old:
                return
        except WebDriverException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the click did not lead to a new page")
        time.sleep(0.05)


def wait_text(driver, element_id: str, text: str, timeout: float = 30) -> None:
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + timeout
    while True:
        try:  # the click's page load may replace the element while we look
            got = driver.find_element(by("ID"), element_id).text
        except WebDriverException:  # not there yet, stale, or mid-navigation
            got = None
        if got == text:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"#{element_id} says {got!r}, not {text!r}")
        time.sleep(0.1)


def flash(driver, timeout: float = 30) -> str:
    """The message the last action left, once the page after it has loaded."""
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + timeout
    while True:
        try:
            found = driver.find_elements(by("CSS_SELECTOR"), ".flash")
            if found:
                return found[0].text
        except WebDriverException:  # mid-navigation
            pass
        if time.monotonic() > deadline:
            raise AssertionError("no message on the page")
        time.sleep(0.05)


@pytest.fixture
def server(watched, tmp_path, smtp, start_queue):
    _sink, port = smtp
    scan = watched.parent / "scan.json"
    return start_queue(queue_config(tmp_path, watched, port, scan=str(scan)))


def test_read_edit_approve_send_in_chromium(browser, server, smtp, tmp_path):
    sink, _port = smtp
    d = browser
    d.get(server.login_url)  # the address the queue printed: its token becomes a cookie
    assert d.current_url == server.url + "/"  # and leaves the address bar
    assert d.find_elements(by("TAG_NAME"), "script") == []
    rows = d.find_elements(by("CSS_SELECTOR"), "table.queue tbody tr")
    assert [r.get_attribute("id") for r in rows] == ["rev-2", "rev-1"]  # newest first
    assert "dma-stack: 1" in rows[1].text and "waiting 4" in rows[1].text
    shot(d, "1-queue")

    click(d, d.find_element(by("CSS_SELECTOR"), "#rev-1 a"))
    assert "/series/1" in d.current_url
    text = d.find_element(by("TAG_NAME"), "body").text
    assert "usb: serial: acme: report line status" in text
    quotes = d.find_elements(by("CSS_SELECTOR"), "pre.quote")
    assert len(quotes) == 4 and all(q.text.startswith(">") for q in quotes)
    link = d.find_element(by("PARTIAL_LINK_TEXT"), "usb: serial: acme: report line status")
    assert link.get_attribute("href").endswith("/20261102-acme-dma-v1-1@example.org/")
    assert len(d.find_elements(by("CSS_SELECTOR"), "section.draft")) == 4
    shot(d, "2-series")

    click(d, d.find_element(by("ID"), "edit-1-1"))
    assert d.find_element(by("ID"), "status").text == "waiting"
    headers = d.find_element(by("CSS_SELECTOR"), "table.headers").text
    assert "Subject Re: [PATCH 1/8] usb: serial: acme: report line status" in headers
    body = d.find_element(by("ID"), "body")
    from selenium.webdriver.common.keys import Keys

    old = body.get_attribute("value")
    assert old.startswith("Hi Dana,\n")
    # typed as a person would: after the greeting, a paragraph longer than a line
    body.send_keys(Keys.CONTROL, Keys.HOME)
    body.send_keys(Keys.END, Keys.ENTER, Keys.ENTER, ADDED + " " + "word " * 12)
    assert body.get_attribute("value").startswith("Hi Dana,\n\n" + ADDED)
    click(d, d.find_element(by("ID"), "preview"))
    preview = d.find_element(by("ID"), "wrapped").text
    assert ADDED in " ".join(preview.split())  # wrapped, so compare the words
    mine = [x for x in preview.split("\n") if "word" in x or x.startswith("Thanks, Dana.")]
    assert len(mine) >= 2 and all(len(x) <= 72 for x in mine)  # the paragraph was wrapped
    shot(d, "3-editor-preview")
    click(d, d.find_element(by("ID"), "save"))
    assert f"saved {DRAFT}" in flash(d)
    shot(d, "4-editor-saved")

    d.get(server.url + "/series/1#d1")
    click(d, d.find_element(by("ID"), "approve-1-1"))
    wait_text(d, "status-1-1", "approved")
    click(d, d.find_element(by("ID"), "send-1-1"))
    wait_text(d, "status-1-1", "sent")
    assert f"sent {DRAFT}: 250 2.0.0 queued as 4711" in flash(d)
    shot(d, "5-series-sent")

    [env] = sink.envelopes
    mail = BytesParser(policy=policy.default).parsebytes(env.content)
    assert mail["Subject"] == "Re: [PATCH 1/8] usb: serial: acme: report line status"
    assert mail["In-Reply-To"] == "<20261102-acme-dma-v1-1@example.org>"
    assert env.rcpt_tos[0] == "dana@example.org"
    sent_body = body_text(mail)
    assert ADDED in " ".join(sent_body.split()) and "\n> " in sent_body
    mine = [x for x in sent_body.splitlines() if "word" in x or x.startswith("Thanks, Dana.")]
    assert len(mine) >= 2 and all(len(x) <= 72 for x in mine)
    eml = tmp_path / "state" / "outbox"
    [path] = list(eml.glob(f"*/{DRAFT}"))
    assert (
        mail["Message-Id"]
        == BytesParser(policy=policy.default).parsebytes(path.read_bytes())["Message-Id"]
    )
    assert path.with_suffix(".sent").exists() and not path.with_suffix(".sending").exists()

    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        acts = db.execute(
            "SELECT action, who FROM queue_actions WHERE name=? ORDER BY id", (DRAFT,)
        ).fetchall()
    assert acts == [(a, "Maintainer Test") for a in ("edit", "approve", "send", "sent")]

    # a sent draft offers no send; the page says who sent it
    assert d.find_elements(by("ID"), "send-1-1") == []
    assert "Maintainer Test" in d.find_element(by("ID"), "d1").text

    # drop one draft, mark another as sent by hand; the queue counts them
    click(d, d.find_element(by("ID"), "drop-1-2"))
    wait_text(d, "status-1-2", "dropped")
    click(d, d.find_element(by("ID"), "mark-sent-1-3"))
    wait_text(d, "status-1-3", "sent-by-hand")
    d.get(server.url + "/")
    drafts = d.find_element(by("CSS_SELECTOR"), "#rev-1 td:nth-child(6)").text.split("\n")
    assert drafts == ["waiting 1", "sent 1", "sent-by-hand 1", "dropped 1"]
    shot(d, "5b-queue-after")

    d.get(server.url + "/scan")
    svg = d.find_element(by("ID"), "chart")
    labels = [t.text for t in svg.find_elements(by("CSS_SELECTOR"), "a > text[text-anchor=end]")]
    assert "drivers/usb" in labels and "arch/arm64" in labels
    assert "ARCH_KMALLOC_MINALIGN" in d.find_element(by("CSS_SELECTOR"), "section.minalign").text
    tree = d.find_element(by("ID"), "tree-chart")
    assert [
        t.text for t in tree.find_elements(by("CSS_SELECTOR"), "a > text[text-anchor=end]")
    ] == ["drivers/usb"]
    change = d.find_element(by("ID"), "change-1")
    led = next(
        r
        for r in change.find_elements(by("CSS_SELECTOR"), "table.drivers tbody tr")
        if r.text.startswith("acme_led")
    )
    # before the change the tree scan has 1 finding there; after it, 1 site is affected
    assert [c.text for c in led.find_elements(by("TAG_NAME"), "td")][3:] == [
        "1",
        "1: drivers/usb/misc/acme_led.c:27 dma-kmalloc-small",
    ]
    shot(d, "6-scan")
    click(d, led.find_element(by("LINK_TEXT"), "1"))
    assert "/scan/finding/0" in d.current_url
    page = d.find_element(by("TAG_NAME"), "body").text
    assert "drivers/usb/misc/acme_led.c:27: error: dma-kmalloc-small" in page
    assert "ACME USB DRIVERS" in page
    shot(d, "6b-scan-finding")
    d.get(server.url + "/scan")
    click(d, d.find_element(by("LINK_TEXT"), "ARCH_KMALLOC_MINALIGN"))
    assert re.search(r"/series/2#f[0-9]+$", d.current_url), d.current_url


def test_hostile_mail_text_shows_as_text(browser, server):
    d = browser
    d.get(server.login_url)
    assert d.find_elements(by("TAG_NAME"), "script") == []
    row = d.find_element(by("ID"), "rev-2")
    assert "<script>alert('subject')</script>" in row.text  # the markup is there, as letters
    assert row.find_elements(by("TAG_NAME"), "b") == []  # "<b>bold</b>" did not become bold
    click(d, d.find_element(by("CSS_SELECTOR"), "#rev-2 a"))
    assert d.find_elements(by("TAG_NAME"), "script") == []
    body = d.find_element(by("TAG_NAME"), "body").text
    assert HOSTILE_SUBJECT in body
    assert f'To: "{HOSTILE_NAME}" <mallory@example.org>' in body
    mails = [m.text for m in d.find_elements(by("CSS_SELECTOR"), "pre.mail")]
    cover = next(m for m in mails if "[PATCH v2 0/8]" in m)
    # the encoded CR LF did not make a Bcc: header of its own
    assert not any(line.startswith("Bcc:") for line in cover.split("\n"))
    shot(d, "7-hostile-series")
    click(d, d.find_element(by("ID"), "edit-2-1"))
    assert d.find_elements(by("TAG_NAME"), "script") == []
    assert len(d.find_elements(by("TAG_NAME"), "textarea")) == 1
    assert HOSTILE_CODE in d.find_element(by("ID"), "body").get_attribute("value")
    assert HOSTILE_CODE in d.find_element(by("ID"), "wrapped").text
    shot(d, "8-hostile-editor")
