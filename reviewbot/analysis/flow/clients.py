"""Buffers a controller (bus) driver receives from its clients.

An I2C host, SPI or spi-mem controller driver gets the client's buffer in a
transfer descriptor (``msgs[i].buf``, ``xfer->rx_buf``, ``op->data.buf.in``)
and, when it does DMA itself, maps it with ``dma_map_single()``. What a client
may legally pass is set by the bus (stack buffers for I2C, vmalloc'd ones for
SPI), so such a mapping is a hazard unless the controller checks or bounces
the buffer. The descriptors, the words that show a check and how sure a
finding can be are data ([[client_buffer]] in config/dma.toml): the clients
live in other modules, so nothing here sees the buffer itself.
"""

from __future__ import annotations

from tree_sitter import Node

from reviewbot.analysis.c.expr import field_path
from reviewbot.analysis.facts.structs import base_type
from reviewbot.analysis.flow.api import Values
from reviewbot.analysis.flow.origin import Member, Origin, OriginKind


def client_origin(r: Values, node: Node) -> list[Origin] | None:
    """``xfer->rx_buf`` of a descriptor the function received, or None."""
    k = r.facts.knowledge
    if not k.client_buffers:
        return None
    path, obj = field_path(r.facts.src, node)
    struct = r.expr_type(obj)
    if struct is None:
        return None
    entry = next((c for c in k.client_buffers if c.struct == struct and path in c.fields), None)
    if entry is None or not _received(r, obj, struct):
        return None
    if any(w.encode() in r.facts.src.text for w in entry.safe_with):
        return None  # the controller checks or bounces what clients pass
    return [Origin(OriginKind.CLIENT, f"the client's buffer in {struct}.{path}",
                   node.start_point[0] + 1, member=Member(struct, path),
                   annotation=entry.struct)]


def _received(r: Values, obj: Node, struct: str) -> bool:
    """The descriptor is a parameter, or a pointer walked over a parameter's list."""
    while obj.type in ("subscript_expression", "parenthesized_expression",
                       "pointer_expression") and obj.named_children:
        obj = obj.child_by_field_name("argument") or obj.named_children[0]
    if obj.type != "identifier":
        return False
    var = r.fn.var(r.facts.src.text_of(obj))
    if var is None or not var.pointer or base_type(var.type) != struct:
        return False
    return var.storage == "param" or (var.storage == "local" and not r.fn.assigns.get(var.name))
