"""Issue 15, item 11: a huge mbox is reviewed whole or refused, never silently cut.

b4 reads at most 4-digit patch counters, so a 10,000-patch mbox became a
2-patch "complete" series. Now more than ``limits.max_patches`` is one
clear error, and a big series within the cap is reviewed whole.
"""

from __future__ import annotations

import json

from tests.hardening.series import reviewbot


def _series(n: int, counters: bool = True) -> bytes:
    out = []
    for i in range(1, n + 1):
        tag = f"[PATCH {i}/{n}]" if counters else "[PATCH]"
        out.append(
            "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
            f"From: Pat <pat@example.org>\nSubject: {tag} misc: step {i}\n"
            f"Date: Thu, 01 Oct 2026 09:00:00 +0000\nMessage-Id: <big-{i}@example.org>\n"
            + ("In-Reply-To: <big-1@example.org>\n" if i > 1 else "")
            + f"\nstep {i}\n\n---\n"
            f"diff --git a/drivers/misc/f{i}.c b/drivers/misc/f{i}.c\n"
            f"--- a/drivers/misc/f{i}.c\n+++ b/drivers/misc/f{i}.c\n@@ -1 +1 @@\n-a\n+b\n\n"
        )
    return "".join(out).encode()


def test_a_10000_patch_mbox_is_refused_with_a_clear_message(tmp_path):
    src = tmp_path / "big.mbox"
    src.write_bytes(_series(10_000))
    proc = reviewbot("review", "--format", "json", str(src))
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.decode().strip() == (
        f"reviewbot: {src}: a series of 10000 patches is more than limits.max_patches "
        "(1000); refused rather than reviewed in part"
    )


def test_many_patch_mails_without_counters_are_refused_too(tmp_path):
    src = tmp_path / "flat.mbox"
    src.write_bytes(_series(1_200, counters=False))
    proc = reviewbot("check", str(src))
    assert proc.returncode == 2
    assert "1200 patch mails are more than limits.max_patches (1000)" in proc.stderr.decode()


def test_a_300_patch_series_is_reviewed_whole(tmp_path):
    src = tmp_path / "ok.mbox"
    src.write_bytes(_series(300))
    proc = reviewbot("review", "--format", "json", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    series = json.loads(proc.stdout)["series"]
    assert [p["index"] for p in series["patches"]] == list(range(1, 301))
    assert series["expected"] == 300 and series["missing"] == []


def test_the_cap_is_a_setting(tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[limits]\nmax_patches = 200\n")
    src = tmp_path / "ok.mbox"
    src.write_bytes(_series(300))
    proc = reviewbot("--config", str(cfg), "review", str(src))
    assert proc.returncode == 2
    assert "a series of 300 patches is more than limits.max_patches (200)" in proc.stderr.decode()
