"""Small example plugins, one per capability kind, used by xtycore's own tests.

Each module is a complete plugin (its hooks live beside its capability) and
passes the conformance suite of its kind; :mod:`.broken` holds variants with
one defect each, which the suites must catch.
"""
