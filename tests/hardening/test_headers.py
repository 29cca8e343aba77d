"""Issue 15, items 5 and 12 (headers): hostile headers cost linear time and make sane drafts.

40,000 References took 24 s and 100,000 six minutes; 30,000 Cc took 68 s
(the email package's address parser and b4's References loop are
quadratic). A 100k-character From name made a draft line over 998
characters; an encoded CR/LF in From was "no patch found".
"""

from __future__ import annotations

import base64
import json
import time

from tests.hardening.series import reviewbot

DIFF = (
    "diff --git a/drivers/misc/f.c b/drivers/misc/f.c\n"
    "--- a/drivers/misc/f.c\n+++ b/drivers/misc/f.c\n@@ -1 +1 @@\n-a\n+b\n"
)


def _mail(sender: str, extra: str = "", msgid: str = "hostile-1@example.org") -> bytes:
    return (
        f"From: {sender}\nTo: linux-usb@vger.kernel.org\n{extra}"
        f"Subject: [PATCH] misc: step\nDate: Thu, 01 Oct 2026 09:00:00 +0000\n"
        f"Message-Id: <{msgid}>\n\nstep\n\n---\n{DIFF}"
    ).encode()


def _long_lines(outbox) -> list[str]:
    return [
        f"{p.name}:{n}"
        for p in outbox.glob("*.eml")
        for n, line in enumerate(p.read_bytes().splitlines(), 1)
        if len(line) > 998
    ]


def test_100k_references_and_30k_cc_are_fast(tmp_path):
    refs = " ".join(f"<ref-{i}@example.org>" for i in range(100_000))
    cc = ", ".join(f"Person {i} <p{i}@example.org>" for i in range(30_000))
    extra = (
        f"Cc: {cc}, linux-kernel@vger.kernel.org\n"
        f"In-Reply-To: <ref-99999@example.org>\nReferences: {refs}\n"
    )
    src = tmp_path / "hostile.eml"
    src.write_bytes(_mail("Pat <pat@example.org>", extra))
    cfg = tmp_path / "cc.toml"
    cfg.write_text("[reply.policy.default]\ncc_individuals = true\n")
    start = time.monotonic()
    proc = reviewbot(
        "--config", str(cfg), "review", "--always", "--format", "json",
        "--outbox", str(tmp_path / "out"), str(src),
    )
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr.decode()
    assert elapsed < 8, f"{elapsed:.1f}s"
    draft = next((tmp_path / "out").glob("0001-*.eml")).read_text()
    refs_line = next(line for line in draft.split("\n") if line.startswith("References:"))
    # the trimmed References keep the thread's root and the nearest ancestors
    assert "<ref-0@example.org>" in draft and "<ref-99999@example.org>" in draft
    assert draft.count("@example.org>") < 400 and refs_line
    # the list is kept although it came after 30,000 people
    assert "linux-kernel@vger.kernel.org" in draft
    assert _long_lines(tmp_path / "out") == []
    assert "References: kept 100 of 100000 ids" in proc.stderr.decode()


def test_a_100k_character_from_name_makes_no_line_over_998(tmp_path):
    src = tmp_path / "bigname.eml"
    src.write_bytes(_mail("A" * 100_000 + " <pat@example.org>"))
    proc = reviewbot("review", "--always", "--outbox", str(tmp_path / "out"), str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    assert list((tmp_path / "out").glob("*.eml"))
    assert _long_lines(tmp_path / "out") == []


def test_an_encoded_crlf_in_from_is_a_patch_with_a_safe_name(tmp_path):
    word = base64.b64encode(b"Evil\r\nBcc: victim@example.org").decode()
    src = tmp_path / "crlf.eml"
    src.write_bytes(_mail(f"=?utf-8?b?{word}?= <evil@example.org>"))
    proc = reviewbot(
        "review", "--always", "--format", "json", "--outbox", str(tmp_path / "out"), str(src)
    )
    assert proc.returncode == 0, proc.stderr.decode()
    author = json.loads(proc.stdout)["series"]["patches"][0]["author"]
    assert "\r" not in author and "\n" not in author and author.endswith("<evil@example.org>")
    draft = next((tmp_path / "out").glob("*.eml")).read_bytes()
    assert b"\nBcc:" not in draft and b"\r\nBcc" not in draft
