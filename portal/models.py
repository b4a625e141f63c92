from __future__ import annotations

from django.db import models


class LoadsDeferredTogether(models.Model):
    """A model whose deferred fields load together, in one query, on the first access.

    The API's key check reads only the columns it needs (`.only()`, apikeys.checks); an
    endpoint that then reads another field of the key or its user gets every field still
    missing at once, instead of one query per field (Django's default).
    """

    class Meta:
        abstract = True

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        if fields is not None:
            deferred = self.get_deferred_fields()
            if deferred and set(fields) <= deferred:
                fields = list(deferred)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)


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
