"""Send one draft from the queue: smtp_send's one send path, its outcome as plain data.

The queue has no sending code of its own: ``[smtp]`` and a ``[queue]
sendmail`` program both go through ``smtp_send.send_drafts``, with the
same lock (the ``.sending`` marker) the watcher and ``review --send`` take,
checked against the ``.sent`` record after it is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewbot.errors import ReviewbotError
from reviewbot.queue.drafts import DraftFile
from reviewbot.settings import SmtpSettings
from reviewbot.smtp_send import Marker, SendInDoubt, marker_state, send_drafts


@dataclass(frozen=True)
class Outcome:
    # sent, already-sent, in-doubt, sending (another sender has it now), no-recipients, failed
    status: str
    detail: str


def configured(smtp: SmtpSettings, sendmail: str) -> bool:
    """Whether the queue has a way to send at all (``[smtp] host`` or ``[queue] sendmail``)."""
    return bool(sendmail or smtp.host)


def send(d: DraftFile, smtp: SmtpSettings, sendmail: str) -> Outcome:
    """Send ``d`` once; a failure after the mail may have left is ``in-doubt``, never retried."""
    try:
        [result] = send_drafts(d.path.parent, smtp, False, only={d.name}, sendmail=sendmail)
    except SendInDoubt as exc:
        return Outcome("in-doubt", str(exc))
    except ReviewbotError as exc:  # nothing went out (smtp_send's promise), and why
        return Outcome("failed", str(exc))
    return Outcome(result.status, result.answer or ", ".join(result.recipients))


def settle(d: DraftFile, error: str) -> Outcome:
    """What a send that broke unexpectedly left, read from the files every sender shares."""
    if d.sent_path.exists():
        return Outcome("already-sent", f"recorded as sent ({error})")
    state = marker_state(d.path)
    if state is Marker.HELD:
        return Outcome("sending", f"another sender has it now ({error})")
    if state is Marker.LEFT:
        return Outcome("in-doubt", error)
    return Outcome("failed", error)
