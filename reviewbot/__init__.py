"""reviewbot: reviews kernel patch series for DMA-alignment hazards."""

__version__ = "0.1.0"
