"""xtycore (小甜园): a plugin-based, extensible shop framework.

The public surface is deliberately small:

- :data:`hookimpl` marks a plugin's hook implementations;
- :func:`create_app` builds a configured Flask application;
- :data:`__version__` is the kernel version plugins declare compatibility with.
"""

import pluggy

__version__ = "0.1.0"

#: Marks a function as an implementation of an xtycore hook.
hookimpl = pluggy.HookimplMarker("xtycore")


def create_app(config=None, *, instance_path=None):
    """Build the xtycore Flask application (see :func:`xtycore.app.create_app`)."""
    from xtycore.app import create_app as _create_app

    return _create_app(config, instance_path=instance_path)


__all__ = ["__version__", "create_app", "hookimpl"]
