"""Marshmallow schemas: the wire form of developments, validated and normalized."""
