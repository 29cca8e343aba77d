"""The JSON writer prints what ``json.dumps(indent=2, ensure_ascii=False)`` prints.

``render/as_json.dumps`` uses orjson for speed; a consumer diffing two outputs,
or one written before the change, must see the same bytes. Each case is a
kind of text or value the outputs carry: C source quoted in messages, file
names in any script, control characters, empty containers, floats of the
stats, tuples of the model.
"""

from __future__ import annotations

import json
import random

import pytest

from reviewbot.render.as_json import dumps

CASES = [
    {},
    [],
    {"a": [], "b": {}, "c": [{}], "d": [[]]},
    {"message": 'buf[64] on the stack: "usb_control_msg(dev, ..., buf, 64)"\n\tnext'},
    {"file": "drivers/usb/serial/ärk3116.c", "who": "Jöhan Hövold <johan@kernel.org>"},
    {"text": "\x00\x01\x1f\x7f \u2028 \u2029 \ud7ff \ue000 \U0001f600 \\ / \" '"},
    {"elapsed": 0.0, "x": 0.62, "z": 123456.789, "n": -0.5, "w": 16.3},
    {"ints": [0, -1, 2**63 - 1, -(2**63)], "bools": [True, False, None]},
    {"tuple": (1, ("a", "b"), ()), "nested": {"k": {"k": {"k": [1, [2, [3]]]}}}},
]


@pytest.mark.parametrize("obj", CASES, ids=range(len(CASES)))
def test_same_bytes_as_the_standard_library(obj):
    assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def test_random_text_is_written_as_the_standard_library_writes_it():
    rng = random.Random(27)
    alphabet = [chr(c) for c in (*range(0, 0x80), 0xA0, 0xE9, 0x2028, 0x4E2D, 0x1F600)]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        obj = {text: [text, {"k": text}], "n": rng.randrange(-10**6, 10**6)}
        assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def test_seconds_are_written_as_the_standard_library_writes_them():
    """The outputs' only floats are seconds rounded to hundredths (``ScanStats``)."""
    rng = random.Random(6)
    for _ in range(2000):
        obj = {"seconds": round(rng.uniform(0, 10**rng.randrange(0, 7)), 2)}
        assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def test_a_float_in_exponent_form_differs_only_in_spelling():
    """Where the two writers differ: ``1e-7`` against ``1e-07``. No output carries
    such a float; should one, it still reads as the same number."""
    obj = {"y": 1e-7, "big": 1e22}
    assert json.loads(dumps(obj)) == obj


def test_what_orjson_refuses_is_still_written():
    """A key that is not a string, an integer past 64 bits: the standard library's
    answer, not an error."""
    for obj in ({1: "one"}, {"n": 2**70}):
        assert dumps(obj) == json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
