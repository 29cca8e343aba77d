"""Lines carried through later patches (render/locations.py), on hand-made diffs."""

from __future__ import annotations

from unidiff import PatchSet

from reviewbot.render.locations import through_patch


def _file(diff: str):
    (pf,) = PatchSet(diff)
    return pf


HEADER = "--- a/x.c\n+++ b/x.c\n"


def test_an_insertion_moves_the_lines_after_it_and_not_the_line_before():
    # three lines inserted after line 10
    pf = _file(HEADER + "@@ -10,0 +11,3 @@\n+a\n+b\n+c\n")
    assert through_patch(pf, 9) == 9
    assert through_patch(pf, 10) == 10
    assert through_patch(pf, 11) == 14


def test_context_lines_keep_their_place_and_later_hunks_add_up():
    pf = _file(HEADER + "@@ -3,3 +3,4 @@\n c3\n+new\n c4\n c5\n@@ -20,2 +21,1 @@\n c20\n-c21\n")
    assert through_patch(pf, 4) == 5  # c4, after the added line
    assert through_patch(pf, 12) == 13  # between the hunks: +1
    assert through_patch(pf, 20) == 21
    assert through_patch(pf, 30) == 30  # after both: +1 -1


def test_a_rewritten_line_maps_to_the_code_that_replaced_it():
    pf = _file(HEADER + "@@ -5,3 +5,3 @@\n c5\n-old6\n+new6\n c7\n")
    assert through_patch(pf, 6) == 6
    pf = _file(HEADER + "@@ -5,4 +5,2 @@\n c5\n-gone6\n-gone7\n c8\n")
    assert through_patch(pf, 7) == 6  # the next line that is still there


def test_a_deleted_file_has_no_line():
    pf = _file("--- a/x.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n")
    assert through_patch(pf, 1) is None
