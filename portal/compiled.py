"""ORM queries compiled once per process and run many times (the API's hot path).

Measured on the key check: building the SQL of a small `select_related` query costs the
ORM about 0.6 ms per call, running it on SQLite about 20 µs. `CompiledQuery` compiles a
query once, with a placeholder value, then runs the same SQL with new values (through
`portal.fastsql`, which also skips the per-call placeholder rewrite) and builds model
instances the way Django's own ModelIterable does (converters, select_related,
annotations), or, where that is provably the same (`_plain`), by filling their __dict__
directly, which costs a fifth of `Model.__init__` for a narrow row.
It relies on Django's compiler API (pinned to 5.2 in pyproject.toml); its tests compare it
with the plain ORM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import get_related_populators
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from . import fastsql

PLACEHOLDER = "\x00compiled-query-placeholder\x00"
_PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _plain(model: type[Model], attnames: list[str]) -> bool:
    """Is filling an instance's __dict__ with these columns the same as `from_db`?

    So it is when the model overrides neither `from_db` nor `__init__`, nothing listens to
    its pre_init/post_init signals (receivers connect when the apps load, before any query
    is compiled), and every column is a plain field attribute: not one with a descriptor
    that converts what it is given (PhoneNumberField's does).
    """
    if model.from_db.__func__ is not Model.from_db.__func__ or model.__init__ is not Model.__init__:
        return False
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return False
    for name in attnames:
        owner = next((klass for klass in model.__mro__ if name in vars(klass)), None)
        if owner is None or type(vars(owner)[name]) not in _PLAIN_ATTRIBUTES:
            return False
    return True


class _Builder:
    """Builds a model's instance (and its select_related ones) straight from a row, for
    queries where every model is `_plain`; `plain` says whether this one may be used."""

    def __init__(self, klass_info: dict, select: list, alias: str):
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.attnames = [column[0].target.attname for column in select[self.start:self.end]]
        self.pk_index = self.attnames.index(self.model._meta.pk.attname)
        self.alias = alias
        self.related = [(info["local_setter"], info["remote_setter"],
                         _Builder(info, select, alias))
                        for info in klass_info.get("related_klass_infos", [])]
        self.plain = (not klass_info.get("from_parent")
                      and fields == list(range(self.start, self.end))
                      and _plain(self.model, self.attnames)
                      and all(builder.plain for _, _, builder in self.related))

    def make(self, row) -> Model | None:
        values = row[self.start:self.end]
        if values[self.pk_index] is None:  # a nullable relation that is not set
            return None
        obj = self.model.__new__(self.model)
        state = obj._state = ModelState()
        state.adding, state.db = False, self.alias
        obj.__dict__.update(zip(self.attnames, values, strict=True))
        for local_setter, remote_setter, builder in self.related:
            related = builder.make(row)
            local_setter(obj, related)
            if related is not None:
                remote_setter(related, obj)
        return obj


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One query, compiled for one database: its SQL and how to turn a row into instances."""

    sql: str
    params: tuple
    slot: int  # where the value goes in params
    converters: list  # (position, converters, expression, connection), flattened
    model: type[Model]
    init_list: list[str]  # Django's way: from_db's field names and their columns
    start: int
    end: int
    populators: list
    annotations: list[tuple[str, int]]
    builder: _Builder | None  # the direct way, when `_plain` allows it


class CompiledQuery:
    def __init__(self, build: Callable[[str], QuerySet]):
        """`build(value)` returns the queryset for one value (one filter parameter)."""
        self._build = build
        self._state: dict[str, _Compiled] = {}

    def _compiled(self, alias: str) -> _Compiled:
        compiled = self._state.get(alias)
        if compiled is None:
            compiled = self._state[alias] = self._compile(alias)
        return compiled

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._build(PLACEHOLDER)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [i for i, p in enumerate(params) if p == PLACEHOLDER]
        if len(slots) != 1:
            raise ValueError("a compiled query takes exactly one placeholder parameter")
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        builder = _Builder(klass_info, compiler.select, alias)
        return _Compiled(
            sql=sql, params=tuple(params), slot=slots[0],
            # As compiler.apply_converters does, flattened (it is run on every call).
            converters=[(pos, convs, expression, compiler.connection) for pos, (convs, expression)
                        in compiler.get_converters(fields).items()],
            model=klass_info["model"],
            init_list=[f[0].target.attname for f in compiler.select[start:end]],
            start=start, end=end,
            populators=get_related_populators(klass_info, compiler.select, alias),
            annotations=[(name, pos) for name, pos in compiler.annotation_col_map.items()
                         if pos is not None],
            builder=builder if builder.plain else None,
        )

    def builds_directly(self, alias: str = "default") -> bool:
        """Are instances built straight from the row (`_plain`), rather than by `from_db`?"""
        return self._compiled(alias).builder is not None

    def first(self, value, alias: str = "default"):
        """The first instance the query finds for `value`, or None."""
        compiled = self._compiled(alias)
        params = list(compiled.params)
        params[compiled.slot] = value
        row = fastsql.fetchone(compiled.sql, params, alias)
        if row is None:
            return None
        if compiled.converters:
            row = list(row)
            for pos, convs, expression, connection in compiled.converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[pos] = value
        if compiled.builder is not None:
            obj = compiled.builder.make(row)
        else:
            obj = compiled.model.from_db(alias, compiled.init_list,
                                         row[compiled.start:compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
        for name, pos in compiled.annotations:
            setattr(obj, name, row[pos])
        return obj
