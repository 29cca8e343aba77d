"""Fixture mails shaped like git send-email output, built in code.

Writing them in code keeps each test's intent visible (which revision,
which patch is missing, who replied) instead of hiding it in opaque files.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

BASE_DATE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

DIFF_TEMPLATE = (
    "diff --git a/drivers/misc/widget.c b/drivers/misc/widget.c\n"
    "index 1111111..2222222 100644\n"
    "--- a/drivers/misc/widget.c\n"
    "+++ b/drivers/misc/widget.c\n"
    "@@ -{n},3 +{n},4 @@ static int widget_probe(struct device *dev)\n"
    " \tint ret;\n"
    " \n"
    "+\t/* step {n} of revision {rev} */\n"
    " \treturn 0;\n"
)


def message(
    msgid: str,
    subject: str,
    body: str,
    *,
    sender: str = "Pat Author <pat@example.org>",
    to: str = "widgets@example.org",
    cc: str | None = "Mia Maintainer <mia@example.org>",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    minutes: int = 0,
) -> bytes:
    headers = [
        f"From: {sender}",
        f"To: {to}",
    ]
    if cc:
        headers.append(f"Cc: {cc}")
    headers += [
        f"Subject: {subject}",
        f"Date: {format_datetime(BASE_DATE + timedelta(minutes=minutes))}",
        f"Message-Id: <{msgid}>",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to}>")
        refs = references if references is not None else [in_reply_to]
        headers.append("References: " + " ".join(f"<{r}>" for r in refs))
    headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\n".join(headers) + "\n\n" + body).encode()


def patch_body(n: int, rev: int, summary: str) -> str:
    return (
        f"{summary}.\n\nSigned-off-by: Pat Author <pat@example.org>\n---\n"
        " drivers/misc/widget.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
        + DIFF_TEMPLATE.format(n=n * 10, rev=rev)
        + "-- \n2.47.0\n"
    )


def series(
    tag: str,
    total: int,
    rev: int = 1,
    *,
    cover: bool = True,
    skip: tuple[int, ...] = (),
    minutes: int = 0,
    in_reply_to: str | None = None,
    base_commit: str | None = None,
) -> list[bytes]:
    """A series as git send-email threads it: patches reply to the cover."""
    prefix = "PATCH" if rev == 1 else f"PATCH v{rev}"
    cover_id = f"{tag}-v{rev}-0@example.org"
    out = []
    root = cover_id if cover else f"{tag}-v{rev}-1@example.org"
    if cover:
        body = f"This series teaches the widget driver {total} new tricks.\n"
        if base_commit:
            body += f"\nbase-commit: {base_commit}\n"
        out.append(
            message(
                cover_id,
                f"[{prefix} 0/{total}] widget: new tricks",
                body,
                in_reply_to=in_reply_to,
                minutes=minutes,
            )
        )
    for n in range(1, total + 1):
        if n in skip:
            continue
        msgid = f"{tag}-v{rev}-{n}@example.org"
        parent = root if msgid != root else in_reply_to
        out.append(
            message(
                msgid,
                f"[{prefix} {n}/{total}] widget: trick number {n}",
                patch_body(n, rev, f"Add trick number {n}"),
                in_reply_to=parent,
                minutes=minutes + n,
            )
        )
    return out


def review_reply(tag: str, rev: int, n: int, minutes: int = 30) -> bytes:
    """A maintainer's reply carrying a Reviewed-by: a follow-up, not a patch."""
    prefix = "PATCH" if rev == 1 else f"PATCH v{rev}"
    parent = f"{tag}-v{rev}-{n}@example.org"
    return message(
        f"{tag}-v{rev}-{n}-reply@example.org",
        f"Re: [{prefix} {n}/3] widget: trick number {n}",
        "On Wed, Pat Author wrote:\n> Add trick number 2.\n\nLooks good.\n\n"
        "Reviewed-by: Mia Maintainer <mia@example.org>\n",
        sender="Mia Maintainer <mia@example.org>",
        in_reply_to=parent,
        references=[f"{tag}-v{rev}-0@example.org", parent],
        minutes=minutes,
    )


def unrelated_thread() -> list[bytes]:
    root = "unrelated-question@example.org"
    return [
        message(
            root,
            "widget: how do I enable tricks?",
            "Is there a Kconfig option?\n",
            sender="Curious User <cu@example.net>",
            minutes=200,
        ),
        message(
            "unrelated-answer@example.org",
            "Re: widget: how do I enable tricks?",
            "CONFIG_WIDGET_TRICKS.\n",
            in_reply_to=root,
            minutes=210,
        ),
    ]
