"""Responses encoded by orjson, and what it cannot encode by Flask's own provider."""

from __future__ import annotations

import datetime as dt
import decimal
import json

from flask import Flask

from service.json_provider import FastJSONProvider


def app() -> Flask:
    made = Flask(__name__)
    made.json = FastJSONProvider(made)
    return made


def test_the_body_is_compact_json_in_the_order_given_with_a_newline():
    with app().app_context() as context:
        response = context.app.json.response({"b": 1, "a": [1.5, None, "ü"]})
    assert response.mimetype == "application/json"
    assert response.get_data() == '{"b":1,"a":[1.5,null,"ü"]}\n'.encode()


def test_values_orjson_cannot_encode_are_encoded_as_flask_would():
    big = 2**70
    with app().app_context() as context:
        keyed = context.app.json.response({1: "int key", "big": big})
        money = context.app.json.response({"amount": decimal.Decimal("1.50")})
        moment = context.app.json.response({"at": dt.date(2026, 1, 2)})
    assert json.loads(keyed.get_data()) == {"1": "int key", "big": big}
    assert json.loads(money.get_data()) == {"amount": "1.50"}
    assert json.loads(moment.get_data()) == {"at": "2026-01-02"}
