"""A remark about a line the patch does not show: the lines from the tree, marked.

With a tree the analysis follows a buffer from probe() into an untouched
read(); the diff has no line to quote there, so the pipeline attaches the
post-image lines and the reply shows them as the kernel test robot does
(line numbers, the finding's line marked with ``>``), never wrapped.
"""

from __future__ import annotations

import dataclasses

import b4

from reviewbot.outbox import body_text
from reviewbot.pipeline import review_series
from reviewbot.render.reply import compose_drafts
from tests.conftest import git
from tests.replies.conftest import fixed_clock
from tests.test_impact import PROBE_READ, edit, series_since


def test_a_sink_in_untouched_code_is_shown_from_the_tree(example_repo, reply_settings):
    repo = example_repo
    (repo / "drivers/usb/misc/skel.c").write_text(PROBE_READ)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "skel")
    base = git(repo, "rev-parse", "HEAD").strip()
    edit(
        repo,
        "drivers/usb/misc/skel.c",
        "\tdev->bulk_in_buffer = kmalloc(dev->bulk_in_size, GFP_KERNEL);",
        "\tdev->bulk_in_buffer = kvmalloc(dev->bulk_in_size, GFP_KERNEL);",
        "usb: skel: allow large buffers",
    )
    series = series_since(repo, base)
    review = review_series(series, tree=repo)
    (f,) = [f for f in review.findings if f.rule == "dma-vmalloc"]
    assert f.function == "skel_read"
    # as if the patch had been mailed: a real message-id to answer
    mailed = dataclasses.replace(series.patches[0], msgid="skel-1@example.org")
    review = dataclasses.replace(review, series=dataclasses.replace(series, patches=(mailed,)))
    (draft,) = compose_drafts(review, reply_settings, clock=fixed_clock)
    lines = body_text(draft.message).splitlines()
    call = PROBE_READ.splitlines().index(
        "\trv = usb_bulk_msg(dev->udev, usb_rcvbulkpipe(dev->udev, dev->bulk_in_endpointAddr),"
    )
    marked = [x for x in lines if x.startswith(" >")]
    assert marked == [
        f" >{call + 1:>5}\t\trv = usb_bulk_msg(dev->udev, usb_rcvbulkpipe(dev->udev, "
        "dev->bulk_in_endpointAddr),"
    ]
    at = lines.index(marked[0])
    assert lines[at + 1].endswith(
        "dev->bulk_in_buffer, min(dev->bulk_in_size, count), &actual, 1000);"
    )
    assert "drivers/usb/misc/skel.c after this patch, in lines it does not change:" in lines
    assert "outside the lines this patch changes" not in body_text(draft.message)
    assert b4.LoreMessage.find_trailers(body_text(draft.message), followup=True)[0] == []
