"""The review queue on the bundled example, on this machine only (loopback, nothing sent out).

Starts a public-inbox-httpd holding examples/series.mbox, a loopback SMTP
server that prints what it receives (aiosmtpd), the watcher over that inbox
(reviewing with examples/tree), and the queue over the watcher's state on
127.0.0.1:8750. Open the address the queue prints
(``http://127.0.0.1:8750/?token=...``): the token is made at each start and
no page answers without it. Ctrl-C stops all four. Run it as
``bash scripts/queue-demo.sh`` from a fresh clone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import example_messages  # noqa: E402
from tests.pubinbox import PublicInbox, available, free_port  # noqa: E402


def main() -> int:
    if not available():
        print("queue demo: public-inbox is not installed (apt-get install -y public-inbox)",
              file=sys.stderr)
        return 2
    listen = os.environ.get("REVIEWBOT_QUEUE_LISTEN", "127.0.0.1:8750")
    work = Path(tempfile.mkdtemp(prefix="reviewbot-queue-demo-"))
    inbox = PublicInbox(work / "inbox", name="acme")
    inbox.deliver(*example_messages())
    inbox.start()
    smtp_port = free_port()
    cfg = work / "watch.toml"
    cfg.write_text(
        f"""[watch]
state_dir = "{work / 'state'}"

[[watch.subscriptions]]
name = "acme"
url = "{inbox.base_url}"
tree = "{ROOT / 'examples' / 'tree'}"
interval = 5
grace = 0

[reply]
from = "Queue Demo <queue-demo@example.org>"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
starttls = false
"""
    )
    env = dict(os.environ, XDG_CACHE_HOME=str(work / "cache"))
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop all four, as Ctrl-C does
    py = sys.executable
    procs = [
        subprocess.Popen([py, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}"]),
        subprocess.Popen([py, "-m", "reviewbot", "watch", "--config", str(cfg)], env=env),
    ]
    print(f"queue demo: files in {work}; sent mail is printed here (SMTP 127.0.0.1:{smtp_port})",
          file=sys.stderr)
    try:
        time.sleep(1)
        queue = subprocess.Popen(
            [py, "-m", "reviewbot", "queue", "--config", str(cfg), "--listen", listen], env=env
        )
        procs.append(queue)
        queue.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        inbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
