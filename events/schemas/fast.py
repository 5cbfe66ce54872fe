"""A faster load for the schemas of events/schemas/, compiled from their own fields: it accepts
or defers. Each schema's fields are turned once into plain checks (the field's type, its
validators) and its hooks are run by marshmallow itself; on any doubt (a value of another type,
a failed check, a missing required field, an unknown key, a field kind it does not know) the
load is handed to marshmallow from the start, so that every problem is reported by marshmallow
and with its words. What the fast load accepts, marshmallow accepts with the same result, key
order included: `tests/unit/test_fast_schemas.py` compares the two over the examples and over
generated valid and invalid developments.

A development's load spent about 90% of its time in marshmallow's machinery around the checks
(error stores, per-field closures, validator dispatch); the checks themselves stay the same."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, cast

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.decorators import (
    POST_DUMP,
    POST_LOAD,
    PRE_DUMP,
    PRE_LOAD,
    VALIDATES,
    VALIDATES_SCHEMA,
)
from marshmallow.error_store import ErrorStore
from marshmallow.types import UnknownOption

# A raw value (and the object it is in, as marshmallow passes it to a field) to its loaded
# form; raises Deferred.
Check = Callable[[Any, Any], Any]

_ENABLED: ContextVar[bool] = ContextVar("fast_schema_loads", default=True)


class Deferred(Exception):
    """The fast load is not sure: marshmallow loads the value from the start."""


class FastSchema(Schema):
    """A schema whose `load` tries the compiled fast load first (when called as the record
    calls it: no `many`, `partial` or `unknown` of its own)."""

    def load(
        self,
        data: Any,
        *,
        many: bool | None = None,
        partial: Any = None,
        unknown: UnknownOption | None = None,
    ) -> Any:
        if many is None and partial is None and unknown is None and _ENABLED.get():
            loader = _loader_of(self)
            if loader is not None:
                try:
                    return loader(data, None)
                except Deferred:
                    pass
        return super().load(data, many=many, partial=partial, unknown=unknown)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if many is None and _ENABLED.get():
            dumper = _dumper_of(self)
            if dumper is not None:
                try:
                    return dumper(obj)
                except Deferred:
                    pass
        return super().dump(obj, many=many)


def fast_load(schema: Schema, data: Any) -> Any:
    """The fast load alone: its result, or Deferred (for tests and benchmarks)."""
    loader = _loader_of(schema)
    if loader is None:
        raise Deferred()
    return loader(data, None)


@contextlib.contextmanager
def marshmallow_only() -> Iterator[None]:
    """Loads in this context (thread, task) go through marshmallow alone, nested ones too."""
    token = _ENABLED.set(False)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def fast_dump(schema: Schema, obj: Any) -> Any:
    """The fast dump alone: its result, or Deferred (for tests)."""
    dumper = _dumper_of(schema)
    if dumper is None:
        raise Deferred()
    return dumper(obj)


def _loader_of(schema: Schema) -> Check | None:
    """The compiled load of a schema instance configured as its class declares it, or None."""
    if not _as_declared(schema):
        return None
    return _compiled(type(schema))


def _as_declared(schema: Schema) -> bool:
    return not (
        schema.many
        or schema.partial
        or schema.unknown != RAISE
        or schema.only is not None
        or schema.exclude
        or schema.load_only
        or schema.dump_only
    )


_COMPILED: dict[type[Schema], Check | None] = {}


def _compiled(schema_class: type[Schema]) -> Check | None:
    if schema_class not in _COMPILED:
        _COMPILED[schema_class] = None  # a schema nested in itself is marshmallow's to load
        _COMPILED[schema_class] = _compile_schema(schema_class())
    return _COMPILED[schema_class]


def _compile_schema(schema: Schema) -> Check | None:
    hooks = schema._hooks
    if hooks[PRE_LOAD] or any("." in (f.attribute or "") for f in schema.load_fields.values()):
        return None
    plan = [
        (
            name if field.data_key is None else field.data_key,
            field.attribute or name,
            field.required,
            field.load_default,
            _check_of(field, name),
        )
        for name, field in schema.load_fields.items()
    ]
    allowed = frozenset(key for key, *_ in plan)
    validators = _validators_of(schema)
    processed = bool(hooks[POST_LOAD])

    def load(data: Any, _: Any) -> Any:
        if type(data) is not dict or not allowed.issuperset(data):
            raise Deferred()
        result: dict[str, Any] = {}
        for key, attribute, required, default, check in plan:
            if key in data:
                result[attribute] = check(data[key], data)
            elif required:
                raise Deferred()
            elif default is not missing:
                result[attribute] = default() if callable(default) else default
        if validators is not None:
            validators(result, data)
        if processed:
            try:
                result = schema._invoke_load_processors(
                    POST_LOAD, result, many=False, original_data=data, partial=None, unknown=RAISE
                )
            except ValidationError:
                raise Deferred() from None
        return result

    return load


def _validators_of(schema: Schema) -> Callable[[dict[str, Any], dict[str, Any]], None] | None:
    """The schema's field and schema validators, run as marshmallow's load runs them when no
    field had a problem (those taking the whole collection first); any problem defers."""
    hooks = schema._hooks
    if hooks[VALIDATES]:
        return lambda result, data: _run_field_and_schema_validators(schema, result, data)
    ordered = sorted(hooks[VALIDATES_SCHEMA], key=lambda hook: not hook[1])
    if not ordered:
        return None
    validators = [
        (getattr(schema, name), bool(options.get("pass_original"))) for name, _, options in ordered
    ]

    def run(result: dict[str, Any], data: dict[str, Any]) -> None:
        try:
            for validator, pass_original in validators:
                if pass_original:
                    validator(result, data, partial=None, many=False, unknown=RAISE)
                else:
                    validator(result, partial=None, many=False, unknown=RAISE)
        except ValidationError:
            raise Deferred() from None

    return run


def _run_field_and_schema_validators(
    schema: Schema, result: dict[str, Any], data: dict[str, Any]
) -> None:
    """Every validator by marshmallow's own dispatch, for a schema with field validators."""
    errors = ErrorStore()  # type: ignore[no-untyped-call]
    schema._invoke_field_validators(error_store=errors, data=result, many=False)
    for pass_collection in (True, False):
        schema._invoke_schema_validators(
            error_store=errors,
            pass_collection=pass_collection,
            data=result,
            original_data=data,
            many=False,
            partial=None,
            unknown=RAISE,
            field_errors=False,
        )
    if errors.errors:
        raise Deferred()


def _check_of(field: fields.Field[Any], name: str | None) -> Check:
    """A field's check: inline for the kinds most values are (exact String, Integer, List,
    Nested), marshmallow's own `deserialize` for every other kind and every other value.
    `name` is what marshmallow names the value to the field: its key, or None for an item of
    a list."""
    if field.pre_load or field.post_load:
        return _whole(field, name)
    generic = _generic(field, name)
    kind = type(field)
    if kind is fields.String:
        return _inline(field, str, generic)
    if kind is fields.Integer:
        return _inline(field, int, generic)
    if kind is fields.List:
        return _list_check(cast(fields.List[Any], field), generic)
    if kind is fields.Nested:
        return _nested_check(cast(fields.Nested, field), generic)
    return generic


def _generic(field: fields.Field[Any], name: str | None) -> Check:
    """The field's own `_deserialize` and the validators, as its `deserialize` runs them for
    a value that is there and not None; marshmallow's `deserialize` whole for None."""
    whole = _whole(field, name)
    if type(field).deserialize is not fields.Field.deserialize:
        return whole
    valid = _validation_of(field)
    own = field._deserialize

    def check(value: Any, within: Any) -> Any:
        if value is None:
            return whole(value, within)
        try:
            loaded = own(value, name, within)
        except ValidationError:
            raise Deferred() from None
        valid(loaded)
        return loaded

    return check


def _whole(field: fields.Field[Any], name: str | None) -> Check:
    def check(value: Any, within: Any) -> Any:
        try:
            return field.deserialize(value, name, within)
        except ValidationError:
            raise Deferred() from None

    return check


def _inline(field: fields.Field[Any], kind: type, generic: Check) -> Check:
    """Values of the field's own type (exactly) are checked here and kept as they are (an
    exact str or int loads as itself); others go to marshmallow."""
    valid = _validation_of(field)
    if valid is _no_validators:

        def plain(value: Any, within: Any) -> Any:
            return value if type(value) is kind else generic(value, within)

        return plain

    def check(value: Any, within: Any) -> Any:
        if type(value) is not kind:
            return generic(value, within)
        valid(value)
        return value

    return check


def _list_check(field: fields.List[Any], generic: Check) -> Check:
    inner = _check_of(field.inner, None)
    valid = _validation_of(field)

    def check(value: Any, within: Any) -> Any:
        if type(value) is not list:
            return generic(value, within)
        loaded = [inner(item, None) for item in value]
        valid(loaded)
        return loaded

    return check


def _nested_check(field: fields.Nested, generic: Check) -> Check:
    nested = field.schema
    loader = None if field.unknown is not None else _loader_of(nested)
    if loader is None:
        return generic
    valid = _validation_of(field)

    def check(value: Any, within: Any) -> Any:
        if type(value) is not dict:
            return generic(value, within)
        loaded = loader(value, None)
        valid(loaded)
        return loaded

    return check


def _validation_of(field: fields.Field[Any]) -> Callable[[Any], None]:
    """The field's validators, each as a plain test; a failed one defers."""
    tests = [_test_of(validator) for validator in field.validators]
    if not tests:
        return _no_validators
    if len(tests) == 1:
        (only,) = tests

        def valid_one(value: Any) -> None:
            if not only(value):
                raise Deferred()

        return valid_one

    def valid(value: Any) -> None:
        for test in tests:
            if not test(value):
                raise Deferred()

    return valid


def _no_validators(value: Any) -> None:
    pass


def _test_of(validator: Callable[[Any], Any]) -> Callable[[Any], bool]:
    kind = type(validator)
    if kind is validate.Length:
        return _length_test(cast(validate.Length, validator))
    if kind is validate.OneOf:
        return _one_of_test(cast(validate.OneOf, validator))
    if kind is validate.Regexp:
        pattern: re.Pattern[Any] = cast(validate.Regexp, validator).regex
        return lambda value: pattern.match(value) is not None
    if kind is validate.Range:
        return _range_test(cast(validate.Range, validator))

    def test(value: Any) -> bool:
        try:
            # as marshmallow: a plain function may also refuse by returning False
            return validator(value) is not False or isinstance(validator, validate.Validator)
        except ValidationError:
            return False

    return test


def _length_test(length: validate.Length) -> Callable[[Any], bool]:
    low, high, equal = length.min, length.max, length.equal
    if equal is not None:
        return lambda value: len(value) == equal
    return lambda value: (low is None or len(value) >= low) and (high is None or len(value) <= high)


def _one_of_test(one_of: validate.OneOf) -> Callable[[Any], bool]:
    choices = one_of.choices
    among: Iterable[Any]
    try:
        among = frozenset(choices)
    except TypeError:
        among = choices

    def test(value: Any) -> bool:
        try:
            return value in among
        except TypeError:  # an unhashable value: marshmallow refuses it too
            return False

    return test


def _range_test(bounds: validate.Range) -> Callable[[Any], bool]:
    low, high = bounds.min, bounds.max
    low_in, high_in = bounds.min_inclusive, bounds.max_inclusive

    def test(value: Any) -> bool:
        if low is not None and (value < low if low_in else value <= low):
            return False
        return high is None or not (value > high if high_in else value >= high)

    return test


# Dumping: each field of a dict's, in the schema's order; a str, int, dict or list of them is
# written as marshmallow writes it (the same value, a dict copied), anything else by the field.

Dump = Callable[[Any], Any]
_DUMPERS: dict[type[Schema], Dump | None] = {}
_DICT_ATTRIBUTES = frozenset(dir(dict))  # marshmallow reads a key a dict lacks as its attribute


def _dumper_of(schema: Schema) -> Dump | None:
    if not _as_declared(schema):
        return None
    schema_class = type(schema)
    if schema_class not in _DUMPERS:
        _DUMPERS[schema_class] = _compile_dump(schema_class())
    return _DUMPERS[schema_class]


def _compile_dump(schema: Schema) -> Dump | None:
    hooks = schema._hooks
    if (
        hooks[PRE_DUMP]
        or hooks[POST_DUMP]
        or type(schema).get_attribute is not Schema.get_attribute
    ):
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        source = field.attribute or name
        if (
            "." in source
            or field.dump_default is not missing
            or not field._CHECK_ATTRIBUTE
            or type(field).serialize is not fields.Field.serialize
            or type(field).get_value is not fields.Field.get_value
        ):
            return None
        key = name if field.data_key is None else field.data_key
        plan.append((source, key, _writer_of(field, name, schema)))
    attributes = {source for source, _, _ in plan} & _DICT_ATTRIBUTES

    def dump(obj: Any) -> Any:
        if type(obj) is not dict or not attributes.issubset(obj):
            raise Deferred()
        return {key: write(obj[source], obj) for source, key, write in plan if source in obj}

    return dump


def _writer_of(field: fields.Field[Any], name: str, schema: Schema) -> Callable[[Any, Any], Any]:
    """A field's writing of a value (and the object it is in): inline for exact types."""
    kind = type(field)
    if kind is fields.String:
        return _plain_writer(field, name, str)
    if kind is fields.Integer and not cast(fields.Integer, field).as_string:
        return _plain_writer(field, name, int)
    if kind is fields.Dict and field.key_field is None and field.value_field is None:  # type: ignore[attr-defined]
        own = field._serialize

        def write_dict(value: Any, obj: Any) -> Any:
            return dict(value) if type(value) is dict else own(value, name, obj)

        return write_dict
    if kind is fields.List:
        inner = _writer_of(cast(fields.List[Any], field).inner, name, schema)
        own_list = field._serialize

        def write_list(value: Any, obj: Any) -> Any:
            if type(value) is not list:
                return own_list(value, name, obj)
            return [inner(item, obj) for item in value]

        return write_list
    return lambda value, obj: field._serialize(value, name, obj)


def _plain_writer(field: fields.Field[Any], name: str, kind: type) -> Callable[[Any, Any], Any]:
    own = field._serialize
    return lambda value, obj: value if type(value) is kind else own(value, name, obj)
