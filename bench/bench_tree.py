#!/usr/bin/env python3
"""Benchmark reviewbot on the real Linux 6.1 tree (not a test; prints figures).

In one run, side by side:
  1. the floor: ``grep -rlE`` over the same C files for the sink and allocator names;
  2. ``reviewbot scan`` cold (empty cache) with ``--jobs 1`` and ``--jobs 2``: three
     runs alternating with grep, medians of wall and CPU seconds (the whole
     process tree), files/s, MB/s, peak RSS of the process tree; the same for
     ``drivers/usb`` so the cost per file shows as the work grows;
  3. the warm rescans (unchanged, and one file changed) in a hard-linked mirror
     of the tree under /tmp (the tree itself is never written);
  4. a Coccinelle semantic patch for DMA-from-stack (bench/cocci/dma_stack.cocci)
     on ``drivers/usb``, bounded by ``--timeout`` per file and a total limit;
  5. ``reviewbot review --tree`` of an 8-patch driver series beside
     ``scripts/checkpatch.pl --no-tree`` on the same patches: five alternating pairs.
Usage: bench/bench_tree.py [--jobs N ...] [--runs 3] [--quick] [--old-src DIR]
(``--old-src /tmp/old``, a checkout of the engine before, times it in the same runs.)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
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
    (
        "net: usb: rtl8150: say what probe sets up",
        [
            (
                "drivers/net/usb/rtl8150.c",
                "static int rtl8150_probe(struct usb_interface *intf,\n",
                "/* Probe allocates the URBs and the net device; open starts the reads. */\n"
                "static int rtl8150_probe(struct usb_interface *intf,\n",
            )
        ],
    ),
    (
        "spi: bcm2835: describe probe",
        [
            (
                "drivers/spi/spi-bcm2835.c",
                "static int bcm2835_spi_probe(struct platform_device *pdev)\n",
                "/* The DMA channels are optional: without them transfers use PIO. */\n"
                "static int bcm2835_spi_probe(struct platform_device *pdev)\n",
            )
        ],
    ),
    (
        "i2c: tiny-usb: explain the transfer loop",
        [
            (
                "drivers/i2c/busses/i2c-tiny-usb.c",
                "static int usb_xfer(struct i2c_adapter *adapter, struct i2c_msg *msgs, int num)\n",
                "/* Each message is one control transfer, then a status read. */\n"
                "static int usb_xfer(struct i2c_adapter *adapter, struct i2c_msg *msgs, int num)\n",
            )
        ],
    ),
    (
        "media: af9035: document the firmware message format",
        [
            (
                "drivers/media/usb/dvb-usb-v2/af9035.c",
                "static int af9035_ctrl_msg(struct dvb_usb_device *d, struct usb_req *req)\n",
                "/* A request is a length, a command, a sequence number, data and a checksum. */\n"
                "static int af9035_ctrl_msg(struct dvb_usb_device *d, struct usb_req *req)\n",
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



def measured(cmd: list[str], cwd: Path | None = None, timeout: float | None = None,
             env: dict | None = None) -> tuple[float, float, int, bytes, int]:
    """(wall s, CPU s of the process tree, peak RSS bytes, stdout, exit status)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        peak = PeakRSS(proc.pid)
        deadline = None if timeout is None else start + timeout
        status = None
        while status is None:
            pid, st, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(st)
                break
            if deadline is not None and time.monotonic() > deadline:
                proc.kill()
                _pid, st, usage = os.wait4(proc.pid, 0)
                status = -9
                break
            time.sleep(0.01)
        proc.returncode = status  # reaped by wait4, not by Popen
        elapsed = time.monotonic() - start
        out.seek(0)
        data = out.read()
    return elapsed, usage.ru_utime + usage.ru_stime, peak.stop(), data, status


def grep_cmd(names: list[str], where: str) -> list[str]:
    return ["grep", "-rlE", "--include=*.c", "--include=*.h", "--exclude-dir=Documentation",
            "--exclude-dir=tools", "--exclude-dir=scripts", "--exclude-dir=samples",
            "|".join(names), where]


def scan_cmd(root: Path, jobs: int, cache: Path | None, sub: list[str]) -> list[str]:
    cache_args = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return [*REVIEWBOT, "-q", "scan", "--format", "json", "--min-confidence", "low",
            "--jobs", str(jobs), *cache_args, str(root), *sub]


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def compare(kernel: Path, names: list[str], label: str, sub: list[str], jobs_list: list[int],
            runs: int, size: int, engines: list[tuple[str, dict | None]]) -> None:
    """Alternating grep / scan runs (each engine in turn); one line per jobs value and engine."""
    where = sub[0] if sub else "."
    for jobs in jobs_list:
        g_wall, g_cpu = [], []
        s_wall: dict[str, list[float]] = {e: [] for e, _ in engines}
        s_cpu: dict[str, list[float]] = {e: [] for e, _ in engines}
        s_mem: dict[str, list[int]] = {e: [] for e, _ in engines}
        stats: dict = {}
        for _ in range(runs):
            w, c, _m, out, _st = measured(grep_cmd(names, where), cwd=kernel)
            g_wall.append(w)
            g_cpu.append(c)
            for engine, env in engines:
                cache = Path(tempfile.mkdtemp(prefix="reviewbot-bench-cache-"))
                try:
                    # cwd '/': only the installed package or PYTHONPATH decides the engine
                    w, c, m, out, st = measured(scan_cmd(kernel, jobs, cache, sub), cwd=Path("/"),
                                                env=env)
                finally:
                    shutil.rmtree(cache)
                if st != 0:
                    sys.exit(f"scan of {label} ({engine}) failed with exit status {st}")
                s_wall[engine].append(w)
                s_cpu[engine].append(c)
                s_mem[engine].append(m)
                stats = json.loads(out)["stats"]
        gw, gc = median(g_wall), median(g_cpu)
        for engine, _env in engines:
            sw, sc = median(s_wall[engine]), median(s_cpu[engine])
            name = f"{label} ({engine})" if len(engines) > 1 else label
            print(f"{name:18} jobs {jobs}: grep {gw:6.2f} s wall {gc:6.2f} s CPU | scan cold "
                  f"{sw:6.2f} s wall ({sw / gw:4.1f}x grep) {sc:6.2f} s CPU ({sc / gc:4.1f}x "
                  f"grep) | {stats['files'] / sw:6.0f} files/s {size / 1e6 / sw:5.0f} MB/s | "
                  f"{stats['parsed']} parsed | peak {max(s_mem[engine]) / 2**20:.0f} MiB"
                  f"  [runs: {', '.join(f'{x:.2f}' for x in s_wall[engine])}]")


def c_files(kernel: Path, where: str = ".") -> list[str]:
    return subprocess.run(
        ["find", where, "-name", "*.[ch]", "-not", "-path", "./Documentation/*", "-not",
         "-path", "./tools/*", "-not", "-path", "./scripts/*", "-not", "-path", "./samples/*"],
        cwd=kernel, capture_output=True, text=True).stdout.split()


def warm(kernel: Path, jobs: int, runs: int = 3) -> None:
    """Warm rescans in a hard-linked mirror (the real tree is never written): medians of
    ``runs``, unchanged, and with one file changed again before each run."""
    mirror = Path(tempfile.mkdtemp(prefix="reviewbot-bench-mirror-")) / "linux"
    cache = Path(tempfile.mkdtemp(prefix="reviewbot-bench-cache-"))
    try:
        subprocess.run(["cp", "-al", str(kernel), str(mirror)], check=True)
        measured(scan_cmd(mirror, jobs, cache, []))  # fills the cache
        victim = mirror / "drivers/usb/serial/ark3116.c"
        data = victim.read_bytes()
        for label, change in (("warm, unchanged", False), ("warm, one file changed", True)):
            walls, cpus, peaks, parsed = [], [], [], set()
            for i in range(runs):
                if change:
                    victim.unlink()  # a new inode: the hard-linked original stays as it was
                    victim.write_bytes(data + f"\n/* touched by the benchmark, {i} */\n".encode())
                w, c, m, out, _ = measured(scan_cmd(mirror, jobs, cache, []))
                walls.append(w)
                cpus.append(c)
                peaks.append(m)
                parsed.add(json.loads(out)["stats"]["parsed"])
            print(f"{label:30} {median(walls):6.2f} s wall {median(cpus):6.2f} s CPU  "
                  f"{'/'.join(map(str, sorted(parsed)))} parsed  peak {max(peaks) / 2**20:.0f} MiB"
                  f"  [runs: {', '.join(f'{w:.2f}' for w in walls)}]")
    finally:
        shutil.rmtree(mirror.parent)
        shutil.rmtree(cache)


def coccinelle(kernel: Path, limit: float, findings: list[dict]) -> None:
    spatch = shutil.which("spatch")
    if spatch is None:
        print("coccinelle: skipped (spatch is not installed; apt-get install coccinelle)")
        return
    cocci = Path(__file__).resolve().parent / "cocci" / "dma_stack.cocci"
    w, c, m, out, st = measured(
        [spatch, "--very-quiet", "--no-show-diff", "--timeout", "30", "--sp-file", str(cocci),
         "--dir", "drivers/usb"], cwd=kernel, timeout=limit)
    hits = {ln.split(": stack buffer ")[0].removeprefix("./")
            for ln in out.decode(errors="replace").splitlines() if ": stack buffer " in ln}
    ours = {f"{f['file']}:{f['line']}" for f in findings
            if f["rule"] == "dma-stack" and f["file"].startswith("drivers/usb/")}
    state = "stopped at the limit" if st == -9 else f"exit {st}"
    print(f"{'spatch dma_stack.cocci, usb':30} {w:6.2f} s wall {c:6.2f} s CPU  peak "
          f"{m / 2**20:.0f} MiB  {len(hits)} stack buffer(s) ({state}; --timeout 30 s a file, "
          f"{limit:.0f} s in all)")
    print(f"{'reviewbot dma-stack, usb':30} {len(ours)} finding(s); {len(hits & ours)} also found "
          f"by spatch, {len(ours - hits)} only by reviewbot (helpers, transfer fields), "
          f"{len(hits - ours)} only by spatch (sites the scan leaves alone on purpose, such "
          "as outbound regmap writes from the stack)")


def series(kernel: Path, runs: int) -> None:
    """``review --tree`` of the 8-patch driver series against ``checkpatch.pl --no-tree`` on
    the same patches: ``runs`` alternating pairs, medians. reviewbot's first run (no
    Kconfig walk or tree profile in its cache yet) is shown apart; checkpatch reading the
    tree (its spelling and compat lists) once, for scale."""
    out_dir = Path(tempfile.mkdtemp(prefix="reviewbot-bench-series-"))
    cache = Path(tempfile.mkdtemp(prefix="reviewbot-bench-cache-"))
    try:
        patches = make_series(kernel, DRIVER_SERIES, out_dir)
        mbox = out_dir / "series.mbox"
        mbox.write_bytes(b"".join(p.read_bytes() for p in patches))
        review = [*REVIEWBOT, "-q", "review", "--format", "json", "--tree", str(kernel),
                  "--cache-dir", str(cache), str(mbox)]
        check = ["perl", "scripts/checkpatch.pl", "--terse", "--no-signoff", "--no-tree",
                 *map(str, patches[1:])]
        first_s, first_mem, rv_out = timed(review)
        rv_times, cp_times, rv_peak = [], [], first_mem
        for _ in range(runs):
            s, mem, rv_out = timed(review)
            rv_times.append(s)
            rv_peak = max(rv_peak, mem)
            s, _, cp_out = timed(check, cwd=kernel)
            cp_times.append(s)
        tree_s, _, _ = timed([c for c in check if c != "--no-tree"], cwd=kernel)
        rv = json.loads(rv_out)
        n = len(patches) - 1
        applied = sum(p["applied"] for p in rv["series"]["patches"])
        rv_s, cp_s = median(rv_times), median(cp_times)
        print(
            f"\n{f'reviewbot review --tree ({n} patches)':38} {rv_s:6.2f} s ({rv_s / cp_s:.1f}x "
            f"checkpatch)  first run {first_s:.2f} s  peak {rv_peak / 2**20:.0f} MiB  "
            f"{applied}/{n} applied, {len(rv['findings'])} finding(s): "
            + ", ".join(f"{f['rule']}@{f['file']}:{f['line']}" for f in rv["findings"])
            + f"  [runs: {', '.join(f'{t:.2f}' for t in rv_times)}]"
        )
        print(
            f"{f'checkpatch.pl --no-tree (same {n})':38} {cp_s:6.2f} s  "
            f"{len([ln for ln in cp_out.splitlines() if ': ' in ln])} message(s)  "
            f"[runs: {', '.join(f'{t:.2f}' for t in cp_times)}]; with the tree: {tree_s:.2f} s"
        )
    finally:
        shutil.rmtree(out_dir)
        shutil.rmtree(cache)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, nargs="+", default=sorted({1, 2, os.cpu_count() or 1}))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cocci-limit", type=float, default=600.0, help="seconds for spatch")
    ap.add_argument("--quick", action="store_true", help="skip coccinelle and the series")
    ap.add_argument("--series-only", action="store_true", help="only the series pairs")
    ap.add_argument("--runs-series", type=int, default=5,
                    help="alternating review/checkpatch pairs for the series")
    ap.add_argument("--old-src", type=Path, metavar="DIR",
                    help="also time this checkout's engine, alternating (a before/after table)")
    args = ap.parse_args()
    kernel = kernel_tree()
    if args.series_only:
        series(kernel, args.runs_series)
        return 0
    from reviewbot.knowledge import load_knowledge

    k = load_knowledge()
    names = sorted({s.function for s in k.sinks} | {a.function for a in k.allocators})
    files = c_files(kernel)
    size = sum((kernel / f).stat().st_size for f in files)
    usb = c_files(kernel, "drivers/usb")
    usb_size = sum((kernel / f).stat().st_size for f in usb)
    print(f"tree: {kernel} ({len(files)} C files, {size / 1e6:.0f} MB; drivers/usb "
          f"{len(usb)} files, {usb_size / 1e6:.0f} MB), {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}\n")
    # Byte-compile each engine first, as `pip install .` leaves an installed package: a
    # checkout run in place under PYTHONDONTWRITEBYTECODE=1 (this machine sets it) would
    # otherwise compile every module from source on every run, 0.2-0.3 s of a warm rescan.
    import reviewbot

    sources = [Path(reviewbot.__file__).resolve().parent]
    if args.old_src:
        sources.append(args.old_src.resolve() / "reviewbot")
    subprocess.run([sys.executable, "-m", "compileall", "-q", *map(str, sources)], check=True,
                   stdout=subprocess.DEVNULL)
    print("byte-compiled: " + ", ".join(map(str, sources)))
    # warm the page cache so neither side pays for the disk
    subprocess.run("find . -name '*.[ch]' -print0 | xargs -0 cat > /dev/null", shell=True,
                   cwd=kernel)
    engines: list[tuple[str, dict | None]] = [("new", None)]
    if args.old_src:
        engines.insert(0, ("old", dict(os.environ, PYTHONPATH=str(args.old_src.resolve()))))
    compare(kernel, names, "whole tree", [], args.jobs, args.runs, size, engines)
    compare(kernel, names, "drivers/usb", ["drivers/usb"], args.jobs, args.runs, usb_size,
            engines)
    print()
    warm(kernel, max(args.jobs), args.runs)

    _w, _c, _m, out, _ = measured(scan_cmd(kernel, max(args.jobs), None, []))
    data = json.loads(out)
    by_sub = collections.Counter("/".join(f["file"].split("/")[:2]) for f in data["findings"])
    by_rule = collections.Counter(f["rule"] for f in data["findings"])
    print(f"\nfindings (every confidence): {len(data['findings'])} in "
          f"{len(data['drivers'])} drivers")
    print("  by rule: " + ", ".join(f"{r} {n}" for r, n in by_rule.most_common()))
    print("  by subsystem: " + ", ".join(f"{s} {n}" for s, n in by_sub.most_common(12)))
    if args.quick:
        return 0
    print()
    coccinelle(kernel, args.cocci_limit, data["findings"])

    series(kernel, args.runs_series)
    return 0


if __name__ == "__main__":
    sys.exit(main())
