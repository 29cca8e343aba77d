#!/usr/bin/env python3
"""Benchmark reviewbot on the real Linux 6.1 tree (not a test; prints figures).

In one run, side by side:
  1. the floor: ``grep -rlE`` over the same C files for the sink and allocator names;
  2. ``reviewbot scan`` cold (empty cache) and warm (one file changed), with
     peak memory of the whole process tree and findings per subsystem;
  3. ``reviewbot review --tree`` of a 4-patch driver series beside
     ``scripts/checkpatch.pl`` on the same patches.
Usage: bench/bench_tree.py [--jobs N]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_tree import kernel_tree
from series_maker import make_series

REVIEWBOT = [sys.executable, "-m", "reviewbot"]

DRIVER_SERIES = [
    (
        "usb: serial: ark3116: read the line status at open",
        [
            (
                "drivers/usb/serial/ark3116.c",
                "static int ark3116_open(struct tty_struct *tty, struct usb_serial_port *port)\n{\n",
                "static int ark3116_read_lsr(struct usb_serial *serial, u8 *lsr)\n{\n\tu8 buf[1];\n\tint ret;\n\n"
                "\tret = ark3116_read_reg(serial, UART_LSR, buf);\n\tif (ret < 0)\n\t\treturn ret;\n\t*lsr = buf[0];\n\treturn 0;\n}\n\n"
                "static int ark3116_open(struct tty_struct *tty, struct usb_serial_port *port)\n{\n",
            )
        ],
    ),
    (
        "iio: adc: ad7124: document the channel setup",
        [
            (
                "drivers/iio/adc/ad7124.c",
                "static int ad7124_soft_reset(struct ad7124_state *st)\n",
                "/* A soft reset returns every register to its power-on value. */\nstatic int ad7124_soft_reset(struct ad7124_state *st)\n",
            )
        ],
    ),
    (
        "spi: imx: note the FIFO size",
        [
            (
                "drivers/spi/spi-imx.c",
                "#define MXC_INT_RR\t(1 << 0) /* Receive data ready interrupt */\n",
                "#define MXC_INT_RR\t(1 << 0) /* Receive data ready interrupt */\n/* The FIFO holds 8 words on i.MX1. */\n",
            )
        ],
    ),
    (
        "hwmon: lm75: explain the sample time table",
        [
            (
                "drivers/hwmon/lm75.c",
                "static const struct lm75_params device_params[] = {\n",
                "/* Sample times are in milliseconds, as the data sheets give them. */\nstatic const struct lm75_params device_params[] = {\n",
            )
        ],
    ),
]


class PeakRSS:
    """Sum of VmRSS over a process and its descendants, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self) -> list[int]:
        kids: dict[int, list[int]] = collections.defaultdict(list)
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                kids[ppid].append(int(d))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += kids.get(p, [])
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in self._tree():
                try:
                    for line in Path(f"/proc/{p}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                except OSError:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self.thread.join()
        return self.peak


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = PeakRSS(proc.pid)
    out, _ = proc.communicate()
    elapsed = time.monotonic() - start
    return elapsed, peak.stop(), out.decode(errors="replace")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    args = ap.parse_args()
    kernel = kernel_tree()
    from reviewbot.knowledge import load_knowledge

    k = load_knowledge()
    names = sorted({s.function for s in k.sinks} | {a.function for a in k.allocators})
    c_files = subprocess.run(
        [
            "find",
            ".",
            "-name",
            "*.[ch]",
            "-not",
            "-path",
            "./Documentation/*",
            "-not",
            "-path",
            "./tools/*",
            "-not",
            "-path",
            "./scripts/*",
            "-not",
            "-path",
            "./samples/*",
        ],
        cwd=kernel,
        capture_output=True,
        text=True,
    ).stdout.split()
    size = sum((kernel / f).stat().st_size for f in c_files)
    print(f"tree: {kernel} ({len(c_files)} C files, {size / 1e6:.0f} MB), jobs: {args.jobs}\n")

    # warm the page cache so neither side pays for the disk
    subprocess.run(["cat", *c_files[:1]], cwd=kernel, capture_output=True)
    subprocess.run(
        "find . -name '*.[ch]' -print0 | xargs -0 cat > /dev/null", shell=True, cwd=kernel
    )
    grep_s, _grep_mem, grep_out = timed(
        [
            "grep",
            "-rlE",
            "--include=*.c",
            "--include=*.h",
            "--exclude-dir=Documentation",
            "--exclude-dir=tools",
            "--exclude-dir=scripts",
            "--exclude-dir=samples",
            "|".join(names),
            ".",
        ],
        cwd=kernel,
    )
    print(
        f"{'grep -rlE (floor)':34} {grep_s:7.2f} s  {size / 1e6 / grep_s:7.0f} MB/s  "
        f"{len(grep_out.split())} files match"
    )

    cache = Path(tempfile.mkdtemp(prefix="reviewbot-bench-cache-"))
    try:
        scan = [
            *REVIEWBOT,
            "-q",
            "scan",
            "--format",
            "json",
            "--jobs",
            str(args.jobs),
            "--cache-dir",
            str(cache),
            str(kernel),
        ]
        cold_s, cold_mem, out = timed(scan)
        data = json.loads(out)
        st = data["stats"]
        print(
            f"{'reviewbot scan, cold':34} {cold_s:7.2f} s  {size / 1e6 / cold_s:7.0f} MB/s  "
            f"{st['files'] / cold_s:6.0f} files/s  {st['parsed']} parsed  "
            f"peak {cold_mem / 2**20:.0f} MiB  ({cold_s / grep_s:.1f}x grep)"
        )
        victim = kernel / "drivers/usb/serial/ark3116.c"
        original = victim.read_bytes()
        try:
            victim.write_bytes(original + b"\n/* touched by the benchmark */\n")
            warm_s, warm_mem, out2 = timed(scan)
        finally:
            victim.write_bytes(original)
        st2 = json.loads(out2)["stats"]
        print(
            f"{'reviewbot scan, warm (1 changed)':34} {warm_s:7.2f} s  {'':13}  "
            f"{st2['parsed']} parsed  peak {warm_mem / 2**20:.0f} MiB"
        )
    finally:
        shutil.rmtree(cache)

    by_sub = collections.Counter("/".join(f["file"].split("/")[:2]) for f in data["findings"])
    by_rule = collections.Counter(f["rule"] for f in data["findings"])
    print(
        f"\nfindings (confidence >= medium): {len(data['findings'])} in {len(data['drivers'])} drivers"
    )
    print("  by rule: " + ", ".join(f"{r} {n}" for r, n in by_rule.most_common()))
    print("  by subsystem: " + ", ".join(f"{s} {n}" for s, n in by_sub.most_common(12)))

    out_dir = Path(tempfile.mkdtemp(prefix="reviewbot-bench-series-"))
    try:
        patches = make_series(kernel, DRIVER_SERIES, out_dir)
        mbox = out_dir / "series.mbox"
        mbox.write_bytes(b"".join(p.read_bytes() for p in patches))
        rv_s, rv_mem, rv_out = timed(
            [*REVIEWBOT, "-q", "review", "--format", "json", "--tree", str(kernel), str(mbox)]
        )
        rv = json.loads(rv_out)
        cp_s, _, cp_out = timed(
            ["perl", "scripts/checkpatch.pl", "--terse", "--no-signoff", *map(str, patches[1:])],
            cwd=kernel,
        )
        applied = sum(p["applied"] for p in rv["series"]["patches"])
        print(
            f"\n{'reviewbot review --tree (4 patches)':34} {rv_s:7.2f} s  peak {rv_mem / 2**20:.0f} MiB  "
            f"{applied}/4 applied, {len(rv['findings'])} finding(s): "
            + ", ".join(f"{f['rule']}@{f['file']}:{f['line']}" for f in rv["findings"])
        )
        print(
            f"{'scripts/checkpatch.pl (same 4)':34} {cp_s:7.2f} s  "
            f"{len([ln for ln in cp_out.splitlines() if ': ' in ln])} message(s)"
        )
    finally:
        shutil.rmtree(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
