"""Deliver one draft through ``[smtp]`` (smtp_send's own code) or a sendmail program.

Both ways use the one protocol every sender in reviewbot shares: an
exclusive ``NAME.sending`` marker before the mail leaves, ``NAME.sent``
after it was accepted, the marker removed last. A marker left behind means
"in doubt": the mail may have gone, and only a person may decide.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.utils import getaddresses, parseaddr

from reviewbot.errors import NetworkError, ReviewbotError
from reviewbot.queue.drafts import DraftFile, write_sent_record
from reviewbot.settings import SmtpSettings
from reviewbot.smtp_send import send_drafts


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, already-sent, in-doubt, no-recipients, refused
    detail: str


def send(d: DraftFile, smtp: SmtpSettings, sendmail: str) -> Outcome:
    """Send ``d`` once; a failure after the mail may have left is ``in-doubt``, never retried."""
    if sendmail:
        return _sendmail(d, sendmail, smtp.envelope_from)
    try:
        [result] = send_drafts(d.path.parent, smtp, False, only={d.name})
    except NetworkError as exc:
        if d.marker_path.exists():
            return Outcome("in-doubt", str(exc))
        return Outcome("refused", str(exc))
    except ReviewbotError as exc:  # a configuration error: nothing was sent
        return Outcome("refused", str(exc))
    return Outcome(result.status, result.answer or ", ".join(result.recipients))


def _sendmail(d: DraftFile, program: str, envelope_from: str) -> Outcome:
    if d.sent_path.exists():
        return Outcome("already-sent", "")
    msg = d.message()
    rcpts = [
        a
        for _n, a in getaddresses([str(v) for v in msg.get_all("To", []) + msg.get_all("Cc", [])])
        if a
    ]
    if not rcpts:
        return Outcome("no-recipients", "")
    sender = envelope_from or parseaddr(str(msg.get("From", "")))[1]
    data = msg.as_bytes(policy=policy.SMTP.clone(max_line_length=998, linesep="\n"))
    try:
        fd = os.open(d.marker_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return Outcome("in-doubt", "a .sending marker exists")
    os.close(fd)
    argv = [*shlex.split(program), "-i", "-f", sender, "--", *rcpts]
    try:
        proc = subprocess.run(argv, input=data, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        if isinstance(exc, FileNotFoundError):
            d.marker_path.unlink(missing_ok=True)  # nothing ran, nothing went out
            return Outcome("refused", f"{argv[0]}: not found")
        return Outcome("in-doubt", f"{argv[0]}: {exc}")
    if proc.returncode != 0:
        # sendmail refuses before queueing; its exit status says nothing went out
        d.marker_path.unlink(missing_ok=True)
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return Outcome("refused", f"{argv[0]} exited {proc.returncode}: {' '.join(err)[:300]}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    write_sent_record(
        d,
        {
            "sent": now,
            "server": f"sendmail {argv[0]}",
            "answer": "exit 0",
            "message-id": str(msg["Message-Id"]),
            "recipients": ", ".join(rcpts),
        },
    )
    d.marker_path.unlink(missing_ok=True)
    return Outcome("sent", f"{argv[0]}: exit 0")
