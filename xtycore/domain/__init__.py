"""The domain core: rules of money, capabilities and state, standard library only.

Nothing in this package imports Flask or SQLAlchemy, so its rules are
unit-tested without an application.
"""
