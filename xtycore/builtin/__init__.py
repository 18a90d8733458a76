"""The kernel's own behaviour, written as plugins (listed in ``xtycore.plugins.BUILTIN_PLUGINS``)."""
