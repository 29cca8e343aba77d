"""Issue 26, item 2 and the byte bound: what the parser cannot read is "not analysed".

A call 70,000 ``+`` terms deep (or at the end of a 35,000-branch
``if``/``else`` chain) lies deeper than tree-sitter's query cursor counts
(16 bits): its captures stopped without an error and ``check`` passed. A
10 MB random ``.c`` cost up to 48 s and 1.2 GB per worker before the work
cap stopped it. Both now fail closed, in ``check`` and in ``scan``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reviewbot.analysis.c.parser import QUERY_DEPTH, parse, too_deep
from reviewbot.analysis.engine import analyse_source
from reviewbot.knowledge import load_knowledge
from reviewbot.limits import PARSE_BYTES
from tests.conftest import EXAMPLES
from tests.hardening.series import mail, mbox, new_file, reviewbot

CALL = "usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, 0xc0, 0, 0, buf, 8, 1000)"


def plus_chain(terms: int) -> list[str]:
    """A stack buffer handed to the device, the call ``terms`` ``+`` levels down."""
    return [
        "static int deep_read(struct usb_device *udev)",
        "{",
        "\tchar buf[8];",
        "",
        f"\treturn {CALL}" + " + 1" * terms + ";",
        "}",
    ]


def if_chain(branches: int) -> list[str]:
    """The same call in the last ``else`` of a chain of ``branches`` ``else if``s."""
    lines = [
        "static int deep_pick(struct usb_device *udev, int x)",
        "{",
        "\tchar buf[8];",
        "\tint y = 0;",
        "",
        "\tif (x < 0)",
        "\t\ty = 1;",
    ]
    for i in range(branches):
        lines += [f"\telse if (x == {i})", f"\t\ty = {i};"]
    return [*lines, "\telse", f"\t\ty = {CALL};", "\treturn y;", "}"]


def max_depth(root) -> int:
    best, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        best = max(best, depth)
        stack.extend((c, depth + 1) for c in node.children)
    return best


def _check(tmp_path: Path, path: str, lines: list[str]):
    src = tmp_path / "deep.mbox"
    src.write_bytes(mbox(mail(1, 1, "usb: deep: read the status", new_file(path, lines))))
    proc = reviewbot("check", "--format", "json", str(src), timeout=120)
    return proc, json.loads(proc.stdout or b"{}")


@pytest.mark.parametrize(
    ("chain", "size"), [(plus_chain, 70_000), (if_chain, 35_000)], ids=["plus", "if-else"]
)
def test_check_fails_closed_on_a_call_nested_beyond_the_queries(tmp_path, chain, size):
    proc, data = _check(tmp_path, "drivers/usb/misc/deep.c", chain(size))
    assert proc.returncode == 1, proc.stderr.decode()
    (u,) = data["check"]["unanalysed"]
    assert u["file"] == "drivers/usb/misc/deep.c" and "levels deep" in u["reason"]
    assert "drivers/usb/misc/deep.c was not analysed" in proc.stderr.decode()


def test_the_same_call_less_deep_is_found(tmp_path):
    proc, data = _check(tmp_path, "drivers/usb/misc/deep.c", plus_chain(60_000))
    assert proc.returncode == 1, proc.stderr.decode()
    assert data["check"]["unanalysed"] == []
    assert [f["rule"] for f in data["findings"]] == ["dma-stack"]


def test_depth_limit_is_exactly_what_the_queries_reach():
    """The deepest node at QUERY_DEPTH is analysed (the finding is there); one more is refused."""
    k = load_knowledge()
    # the deepest node is 8 levels below the outermost ``+``
    at_limit = "\n".join(plus_chain(QUERY_DEPTH - 8)).encode()
    src = parse("edge.c", at_limit, k)
    assert src is not None and max_depth(src.tree.root_node) == QUERY_DEPTH
    assert not too_deep(src.tree.root_node)
    assert [f.rule for f in analyse_source("edge.c", at_limit.decode(), k)] == ["dma-stack"]
    beyond = "\n".join(plus_chain(QUERY_DEPTH - 7)).encode()
    why: list[str] = []
    assert parse("edge.c", beyond, k, refused=why.append) is None
    assert why == [f"nested more than {QUERY_DEPTH} levels deep, beyond what tree-sitter's "
                   "queries reach"]


def test_the_depth_check_reads_big_flat_trees_without_a_walk():
    """A flat tree of many nodes is not deep: the check must say so (no false refusal)."""
    text = "static int t[] = {" + ", ".join(["1"] * 100_000) + "};\n"
    tree = parse("flat.c", text.encode(), load_knowledge())
    assert tree is not None and tree.tree.root_node.descendant_count > QUERY_DEPTH
    assert not too_deep(tree.tree.root_node)


# --- bytes: a big or binary file is not handed to the parser ---------------------------


def _noise(size: int) -> bytes:
    """Random bytes (NUL-free) with a sink call in them, so the prefilter sends them on."""
    data = bytearray(b if b else 1 for b in os.urandom(size))
    call = f"\nstatic int f(struct usb_device *udev) {{ char buf[8]; return {CALL}; }}\n"
    data[:len(call)] = call.encode()
    return bytes(data)


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", root)
    return root


def _scan(tree: Path, tmp_path: Path, *args: str) -> tuple[dict, str]:
    proc = reviewbot("scan", "--format", "json", "--cache-dir", str(tmp_path / "cache"),
                     *args, str(tree), timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout), proc.stderr.decode()


def test_scan_refuses_a_file_over_the_byte_bound_as_unanalysed(tree, tmp_path):
    (tree / "drivers/usb/misc/noise.c").write_bytes(_noise(PARSE_BYTES + 1))
    data, _err = _scan(tree, tmp_path)
    assert data["unanalysed"] == [{
        "file": "drivers/usb/misc/noise.c",
        "reason": f"{PARSE_BYTES + 1} bytes is more than the 4 MiB a file may have to be parsed",
    }]


def test_scan_refuses_a_binary_file_as_unanalysed(tree, tmp_path):
    data = bytearray(_noise(4096))
    data[100] = 0
    (tree / "drivers/usb/misc/blob.c").write_bytes(bytes(data))
    found, _err = _scan(tree, tmp_path)
    assert found["unanalysed"] == [{
        "file": "drivers/usb/misc/blob.c",
        "reason": "binary, not C source (a NUL byte at offset 100)",
    }]


def test_a_parse_bound_refusal_reaches_the_caller_with_its_reason():
    why: list[str] = []
    assert parse("x.c", b"int x;\0", load_knowledge(), refused=why.append) is None
    assert why == ["binary, not C source (a NUL byte at offset 6)"]


def test_text_output_never_calls_an_unanalysed_file_clean(tmp_path):
    src = tmp_path / "deep.mbox"
    src.write_bytes(mbox(mail(1, 1, "usb: deep: read the status",
                              new_file("drivers/usb/misc/deep.c", plus_chain(70_000)))))
    proc = reviewbot("check", str(src), timeout=120)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "No DMA-alignment findings.\n" not in out
    assert "No DMA-alignment findings in what was analysed; 1 file not analysed" in out
    assert out.rstrip().endswith("0 findings introduced; 0 pre-existing; 1 file not analysed.")
