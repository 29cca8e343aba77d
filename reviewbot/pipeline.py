"""Wire the stages for one series: intake's Series in, a Review out.

Front ends (review, check, watch) all call this, so a series is judged the
same way whichever door it came through.
"""

from __future__ import annotations

from reviewbot.model import Review, Series


def review_series(series: Series) -> Review:
    return Review(series=series)
