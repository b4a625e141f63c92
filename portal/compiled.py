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


class CompiledQuery:
    def __init__(self, build: Callable[[str], QuerySet]):
        """`build(value)` returns the queryset for one value (one filter parameter)."""
        self._build = build
        self._state: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        queryset = self._build(PLACEHOLDER)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [i for i, p in enumerate(params) if p == PLACEHOLDER]
        if len(slots) != 1:
            raise ValueError("a compiled query takes exactly one placeholder parameter")
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        # As compiler.apply_converters does, flattened (it is run on every call).
        converters = [(pos, convs, expression, compiler.connection) for pos, (convs, expression)
                      in compiler.get_converters(fields).items()]
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in compiler.select[start:end]]
        populators = get_related_populators(klass_info, compiler.select, alias)
        annotations = [(name, pos) for name, pos in compiler.annotation_col_map.items()
                       if pos is not None]
        builder = _Builder(klass_info, compiler.select, alias)
        return (sql, list(params), slots[0], compiler, converters, klass_info["model"],
                init_list, start, end, populators, annotations,
                builder if builder.plain else None)

    def builds_directly(self, alias: str = "default") -> bool:
        """Are instances built straight from the row (`_plain`), rather than by `from_db`?"""
        state = self._state.get(alias) or self._state.setdefault(alias, self._compile(alias))
        return state[-1] is not None

    def first(self, value, alias: str = "default"):
        """The first instance the query finds for `value`, or None."""
        state = self._state.get(alias)
        if state is None:
            state = self._state[alias] = self._compile(alias)
        (sql, params, slot, compiler, converters, model, init_list, start, end, pops,
         annotations, builder) = state
        params = list(params)
        params[slot] = value
        row = fastsql.fetchone(sql, params, alias)
        if row is None:
            return None
        if converters:
            row = list(row)
            for pos, convs, expression, connection in converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[pos] = value
        if builder is not None:
            obj = builder.make(row)
        else:
            obj = model.from_db(alias, init_list, row[start:end])
            for populator in pops:
                populator.populate(row, obj)
        for name, pos in annotations:
            setattr(obj, name, row[pos])
        return obj
