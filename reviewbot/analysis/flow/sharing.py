"""Who shares a member buffer's cache lines: the plain data rules read.

flow/neighbours.py works it out from the file; rules/members.py judges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Sharing(StrEnum):
    """How a member shares its cache lines, as far as the text shows."""

    ALONE = "alone"  # no other member
    WHOLE = "whole"  # the first member of a struct allocated for this transfer: it is the buffer
    OWN_ALLOCATION = "own-allocation"  # the struct is this transfer's own (or read at setup)
    QUIET = "quiet"  # no neighbour is written after setup
    BUSY = "busy"  # ``busy`` names the neighbours written outside setup
    SERIAL = "serial"  # busy only on the DMA function's own call paths (a synchronous sink)
    OFFSET = "offset"  # busy neighbours only before an L1-aligned member: a 64-byte offset question
    # busy only through descriptors a core writes between transfers, after syncing each
    # transfer's buffers (SPI's spi_transfer and spi_message)
    BETWEEN = "between"


@dataclass(frozen=True)
class Neighbourhood:
    """How a member sits in its struct, as far as DMA cache lines go (plain data)."""

    kind: Sharing
    busy: tuple[str, ...] = ()
    quiet: tuple[str, ...] = ()
    typed: bool = False  # a busy neighbour is a lock, counter, work item or descriptor
    # busy only through the DMA function's own writes, the last of them at this line:
    # before an asynchronous mapping made later in it, they cannot overlap the transfer
    written_until: int | None = None
    # a struct this function allocates and publishes (its mapping outlives the call):
    # (line, neighbour) of the function's own stores through the same pointer, and the
    # lines of its unmap calls; a store after the mapping and before any unmap dirties a
    # mapped line (mlx5 macsec: umr->dma_addr = dma_addr after mapping umr->ctx)
    stores: tuple[tuple[int, str], ...] = ()
    unmaps: tuple[int, ...] = ()
    # (neighbour, thread function): written by a function reached only from a kernel
    # thread the DMA function is not reached from (mxs-dcp: the AES channel thread
    # writes aes_key beside the SHA channel's DMA buffer)
    threads: tuple[tuple[str, str], ...] = ()
