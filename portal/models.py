from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One fixed-window counter of portal.ratelimit, when no Redis is configured.

    Django's database cache increments with a read then a write, which loses counts under
    concurrency; this table is counted with one atomic upsert instead.
    """

    bucket = models.CharField(max_length=64)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="one_counter_a_window")
        ]
