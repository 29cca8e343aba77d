"""Deliver drafts from an outbox by SMTP, each at most once.

Sending is opt-in (``--send``) and works on the files a person could read
first. Before a draft goes out a ``NAME.sending`` marker is created
exclusively; after the server accepts it, ``NAME.sent`` records the time,
the server and its answer, and the marker goes. A draft with a ``.sent``
record is never sent again; one with a leftover ``.sending`` marker (a
crash or a dropped connection mid-send) is "in doubt" and left for a
person to decide, because sending it twice is worse than not at all.

The password comes only from ``REVIEWBOT_SMTP_PASSWORD`` or ``~/.netrc``.
"""

from __future__ import annotations

import logging
import netrc
import os
import smtplib
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path

from reviewbot.errors import ConfigError, NetworkError
from reviewbot.outbox import sent_record
from reviewbot.settings import SmtpSettings

logger = logging.getLogger(__name__)

PASSWORD_ENV = "REVIEWBOT_SMTP_PASSWORD"


@dataclass(frozen=True)
class SendResult:
    """What happened to one draft: sent, already-sent, would-send, in-doubt, no-recipients."""

    path: Path
    status: str
    subject: str
    recipients: tuple[str, ...]
    answer: str = ""


def sending_marker(path: Path) -> Path:
    return path.with_suffix(".sending")


def smtp_password(smtp: SmtpSettings, env: Mapping[str, str] | None = None) -> str | None:
    """The password from the environment, else from ``~/.netrc`` for ``smtp.host``."""
    env = os.environ if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    home = env.get("HOME")
    path = Path(home) / ".netrc" if home else None
    if path is None or not path.is_file():
        return None
    try:
        auth = netrc.netrc(str(path)).authenticators(smtp.host)
    except (netrc.NetrcParseError, OSError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    if auth is None:
        return None
    login, _account, password = auth
    if smtp.user and login and login != smtp.user:
        return None
    return password


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def _recipients(msg: EmailMessage) -> tuple[str, ...]:
    seen: list[str] = []
    for _name, addr in getaddresses(
        [str(v) for v in msg.get_all("To", []) + msg.get_all("Cc", [])]
    ):
        if addr and addr.lower() not in (s.lower() for s in seen):
            seen.append(addr)
    return tuple(seen)


def _connect(smtp: SmtpSettings, env: Mapping[str, str] | None) -> smtplib.SMTP:
    if not smtp.host:
        raise ConfigError("--send needs a server: set [smtp] host in the config")
    try:
        if smtp.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        conn.ehlo()
        if smtp.starttls and not smtp.ssl:
            if not conn.has_extn("starttls"):
                conn.close()
                raise ConfigError(
                    f"{smtp.host}:{smtp.port} does not offer STARTTLS; set smtp.starttls = false "
                    "only if sending in the clear is acceptable"
                )
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if smtp.user:
            password = smtp_password(smtp, env)
            if password is None:
                conn.close()
                raise ConfigError(
                    f"smtp.user is set but no password: set {PASSWORD_ENV} or a ~/.netrc "
                    f"entry for {smtp.host}"
                )
            conn.login(smtp.user, password)
    except (smtplib.SMTPException, OSError) as exc:
        raise NetworkError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from None
    return conn


def _deliver(conn: smtplib.SMTP, sender: str, rcpts: tuple[str, ...], data: bytes) -> str:
    """MAIL, RCPT, DATA by hand, to keep the server's final answer for the record."""
    options = ["BODY=8BITMIME"] if conn.has_extn("8bitmime") else []
    code, resp = conn.mail(sender, options)
    if code != 250:
        conn.rset()
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    accepted = []
    for r in rcpts:
        code, resp = conn.rcpt(r)
        if code in (250, 251):
            accepted.append(r)
        else:
            logger.warning("server refused recipient %s: %s %s", r, code, resp)
    if not accepted:
        conn.rset()
        raise smtplib.SMTPRecipientsRefused({r: (0, b"") for r in rcpts})
    code, resp = conn.data(data)
    if code != 250:
        conn.rset()
        raise smtplib.SMTPDataError(code, resp)
    return f"{code} {resp.decode('utf-8', 'replace')}"


def _record(path: Path, smtp: SmtpSettings, answer: str, msg: EmailMessage, rcpts) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    text = (
        f"sent: {now}\nserver: {smtp.host}:{smtp.port}\nanswer: {answer}\n"
        f"message-id: {msg['Message-Id']}\nrecipients: {', '.join(rcpts)}\n"
    )
    tmp = path.with_suffix(".sent.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, sent_record(path))


def send_drafts(
    outbox: Path,
    smtp: SmtpSettings,
    dry_run: bool,
    *,
    only: Collection[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> list[SendResult]:
    """Send the drafts in ``outbox`` (or only the file names in ``only``) not sent yet."""
    results: list[SendResult] = []
    conn: smtplib.SMTP | None = None
    try:
        for path in sorted(outbox.glob("*.eml")):
            if only is not None and path.name not in only:
                continue
            msg = _read(path)
            subject = str(msg.get("Subject", ""))
            rcpts = _recipients(msg)
            status = ""
            if sent_record(path).exists():
                status = "already-sent"
            elif sending_marker(path).exists():
                status = "in-doubt"
            elif not rcpts:
                status = "no-recipients"
            elif dry_run:
                status = "would-send"
            if status:
                results.append(SendResult(path, status, subject, rcpts))
                continue
            if conn is None:
                conn = _connect(smtp, env)
            sender = smtp.envelope_from or parseaddr(str(msg.get("From", "")))[1]
            data = msg.as_bytes(policy=policy.SMTP.clone(max_line_length=998))
            try:
                fd = os.open(sending_marker(path), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                results.append(SendResult(path, "in-doubt", subject, rcpts))
                continue
            os.close(fd)
            try:
                answer = _deliver(conn, sender, rcpts, data)
            except (
                smtplib.SMTPSenderRefused,
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPDataError,
            ) as exc:
                sending_marker(path).unlink(missing_ok=True)  # refused: nothing went out
                raise NetworkError(
                    f"SMTP {smtp.host}:{smtp.port} refused {path.name}: {exc}"
                ) from None
            except (smtplib.SMTPException, OSError) as exc:
                raise NetworkError(
                    f"SMTP {smtp.host}:{smtp.port} failed while sending {path.name} ({exc}); "
                    f"it may have gone out: check, then remove {sending_marker(path).name}"
                ) from None
            _record(path, smtp, answer, msg, rcpts)
            sending_marker(path).unlink(missing_ok=True)
            logger.info("sent %s to %s: %s", path.name, ", ".join(rcpts), answer)
            results.append(SendResult(path, "sent", subject, rcpts, answer))
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()
    return results
