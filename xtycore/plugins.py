"""Plugin discovery, compatibility, blocking, enabling and the fault policy.

:class:`Plugins` wraps a :class:`pluggy.PluginManager`. Built-in plugins are
listed explicitly in :data:`BUILTIN_PLUGINS`; installed plugins are found
through the ``xtycore`` entry-point group. A plugin is *blocked* (not loaded,
with a reason) when its distribution's ``Requires-Dist`` on xtycore excludes
this version, when importing it fails, when it implements a hook no spec
defines, when its hook signatures do not match, or when it registers a
capability code another plugin already uses. The shop starts without it.

Installed is not enabled: built-in plugins are always on, every other plugin
is off until the merchant enables it (state in the database, so every worker
process sees it). Hooks are called through :meth:`Plugins.call`, which skips
disabled plugins and applies the fault policy to the one plugin that failed.
"""

from __future__ import annotations

import difflib
import enum
import importlib
import logging
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable, Iterator

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

import xtycore
from xtycore import hookspecs
from xtycore.domain.errors import CapabilityUnavailable, PluginError, XtyError

log = logging.getLogger("xtycore.plugins")

ENTRY_POINT_GROUP = "xtycore"
HOOK_PREFIX = "xtycore_"

#: Kernel behaviour written as plugins, always loaded and always enabled.
BUILTIN_PLUGINS = (
    "xtycore.builtin.normalize",
    "xtycore.builtin.order_numbers",
    "xtycore.builtin.maintenance",
    "xtycore.builtin.review",
    "xtycore.builtin.order_jobs",
    "xtycore.builtin.payment_jobs",
)


class FaultPolicy(str, enum.Enum):
    """What happens when a plugin raises.

    ``CLOSED``: money, stock and price paths; the caller gets
    :class:`~xtycore.domain.errors.CapabilityUnavailable` and nothing proceeds.
    ``OPEN``: slots, notifications, recommendations; the failure is logged and
    the caller carries on without that plugin's contribution.
    """

    OPEN = "open"
    CLOSED = "closed"


class PluginStatus(str, enum.Enum):
    LOADED = "loaded"
    BLOCKED = "blocked"


@dataclass
class PluginRecord:
    """What xtycore knows about one plugin, loaded or blocked."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    requires_xtycore: str = ""
    builtin: bool = False
    status: PluginStatus = PluginStatus.LOADED
    reason: str = ""
    hooks: list[str] = field(default_factory=list)
    plugin: Any = field(default=None, repr=False)

    @property
    def loaded(self) -> bool:
        return self.status is PluginStatus.LOADED

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "requires_xtycore": self.requires_xtycore or "any",
            "builtin": self.builtin,
            "status": self.status.value,
            "reason": self.reason,
            "hooks": list(self.hooks),
        }


class PluginBlocked(PluginError):
    """Raised internally while loading a plugin; the message is the reason."""


def xtycore_requirement(dist: metadata.Distribution) -> Requirement | None:
    """The distribution's own ``Requires-Dist`` on xtycore, if any."""
    for line in dist.requires or ():
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower().replace("_", "-") == "xtycore" and (
            req.marker is None or req.marker.evaluate({"extra": ""})
        ):
            return req
    return None


def check_compatibility(req: Requirement | None, version: str = xtycore.__version__) -> str:
    """Return why ``version`` fails ``req``, or an empty string when it satisfies it."""
    if req is None or not str(req.specifier):
        return ""
    try:
        parsed = Version(version)
    except InvalidVersion:  # pragma: no cover - our own version is always valid
        return f"xtycore version {version!r} cannot be parsed"
    if req.specifier.contains(parsed, prereleases=True):
        return ""
    return (
        f"requires xtycore{req.specifier} but this is xtycore {version}; "
        "install a release of the plugin that supports it"
    )


class Plugins:
    """The plugin manager of one application."""

    def __init__(self, blocked_names: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager("xtycore")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._blocked_by_config = set(blocked_names)
        #: called with (plugin, call, policy, exc) for every plugin failure
        self.failure_sink: Callable[[str, str, FaultPolicy, BaseException], None] | None = None
        #: returns the names of enabled plugins (database-backed in an app)
        self.enabled_names: Callable[[], set[str]] = lambda: {
            r.name for r in self.records.values() if r.loaded
        }

    # loading -------------------------------------------------------------
    def load_builtins(self) -> None:
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            name = module_name.rsplit(".", 1)[-1]
            record = PluginRecord(
                name=f"xtycore.{name}",
                module=module_name,
                distribution="xtycore",
                version=xtycore.__version__,
                builtin=True,
            )
            self._register(record, module)
            if not record.loaded:  # pragma: no cover - a kernel bug, not a plugin's
                raise PluginError(f"built-in plugin {module_name} failed: {record.reason}")

    def discover(self) -> None:
        """Load every plugin of the ``xtycore`` entry-point group."""
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            self.load_entry_point(ep)

    def load_entry_point(self, ep: metadata.EntryPoint) -> PluginRecord:
        dist = ep.dist
        req = xtycore_requirement(dist) if dist is not None else None
        record = PluginRecord(
            name=ep.name,
            module=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
            requires_xtycore=str(req.specifier) if req is not None else "",
        )
        if ep.name in self.records:
            other = self.records[ep.name]
            return self._block(
                record,
                f"the plugin name {ep.name!r} is already used by {other.distribution or other.module}",
                keep_existing=True,
            )
        if ep.name in self._blocked_by_config:
            return self._block(record, "blocked by the BLOCKED_PLUGINS setting")
        reason = check_compatibility(req)
        if reason:
            return self._block(record, reason)
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not stop the shop
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return self._block(record, f"failed to import {ep.value}: {detail}")
        return self._register(record, plugin)

    def register(self, plugin: Any, name: str, *, version: str | None = None) -> PluginRecord:
        """Register a plugin object directly (tests, embedding applications)."""
        record = PluginRecord(name=name, module=getattr(plugin, "__name__", repr(plugin)), version=version)
        if name in self.records:
            raise PluginError(f"a plugin named {name!r} is already registered")
        return self._register(record, plugin)

    def _register(self, record: PluginRecord, plugin: Any) -> PluginRecord:
        try:
            self.pm.register(plugin, name=record.name)
        except pluggy.PluginValidationError as exc:
            return self._block(record, f"invalid hook implementation: {exc}")
        except ValueError as exc:
            return self._block(record, str(exc))
        try:
            self._validate_hooks(plugin)
        except PluginBlocked as exc:
            self.pm.unregister(plugin)
            return self._block(record, str(exc))
        record.plugin = plugin
        record.hooks = sorted(hc.name for hc in self.pm.get_hookcallers(plugin) or ())
        self.records[record.name] = record
        return record

    def _validate_hooks(self, plugin: Any) -> None:
        for caller in self.pm.get_hookcallers(plugin) or ():
            if not caller.has_spec():
                known = [n for n in dir(hookspecs) if n.startswith(HOOK_PREFIX)]
                guess = difflib.get_close_matches(caller.name, known, n=1)
                hint = f"; did you mean {guess[0]}?" if guess else ""
                raise PluginBlocked(f"implements {caller.name}, which matches no xtycore hook{hint}")
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                    raise PluginBlocked(
                        f"{caller.name} is a hook wrapper; xtycore hooks take plain implementations"
                    )

    def _block(self, record: PluginRecord, reason: str, *, keep_existing: bool = False) -> PluginRecord:
        record.status = PluginStatus.BLOCKED
        record.reason = reason
        log.error("plugin %s blocked: %s", record.name, reason)
        if keep_existing:
            self.records[f"{record.name} ({record.distribution or record.module})"] = record
        else:
            self.records[record.name] = record
        return record

    def block_loaded(self, name: str, reason: str) -> None:
        """Block a plugin that loaded but turned out to conflict (a duplicate code)."""
        record = self.records[name]
        if record.builtin:  # pragma: no cover - a kernel bug
            raise PluginError(f"built-in plugin {name} conflicts: {reason}")
        self.pm.unregister(record.plugin)
        record.plugin = None
        self._block(record, reason)

    def check_pending(self) -> None:
        self.pm.check_pending()

    # queries -------------------------------------------------------------
    def get(self, name: str) -> PluginRecord | None:
        return self.records.get(name)

    def loaded(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.loaded]

    def blocked(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if not r.loaded]

    def toggleable(self) -> list[PluginRecord]:
        return [r for r in self.loaded() if not r.builtin]

    def is_enabled(self, name: str) -> bool:
        record = self.records.get(name)
        if record is None or not record.loaded:
            return False
        return record.builtin or name in self.enabled_names()

    # calling -------------------------------------------------------------
    def implementations(self, hook: str, *, include_disabled: bool = False) -> list[Any]:
        """The hook's implementations in the order pluggy would call them."""
        caller = getattr(self.pm.hook, hook)
        impls = list(reversed(caller.get_hookimpls()))
        if include_disabled:
            return impls
        enabled = self.enabled_names()
        return [
            i for i in impls
            if self.records[i.plugin_name].builtin or i.plugin_name in enabled
        ]

    def call(
        self, hook: str, *, policy: FaultPolicy, include_disabled: bool = False, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call ``hook`` on each enabled plugin; return ``(plugin, result)`` for non-None results."""
        caller = getattr(self.pm.hook, hook, None)
        if caller is None or not caller.has_spec():
            raise PluginError(f"no hook named {hook}")
        missing = set(caller.spec.argnames) - set(kwargs)
        extra = set(kwargs) - set(caller.spec.argnames)
        if missing or extra:
            raise TypeError(f"{hook} takes {caller.spec.argnames}; got {sorted(kwargs)}")
        results = []
        for impl in self.implementations(hook, include_disabled=include_disabled):
            with self.guard(impl.plugin_name, hook, policy) as outcome:
                outcome.value = self.invoke(impl, kwargs)
            if outcome.failed:
                continue
            if outcome.value is not None:
                results.append((impl.plugin_name, outcome.value))
                if caller.spec.opts.get("firstresult"):
                    break
        return results

    @staticmethod
    def invoke(impl: Any, kwargs: dict[str, Any]) -> Any:
        """Call one implementation with the subset of ``kwargs`` it accepts."""
        return impl.function(*[kwargs[a] for a in impl.argnames])

    def first(self, hook: str, *, policy: FaultPolicy, **kwargs: Any) -> Any:
        """Call a ``firstresult`` hook: the first non-None result, or None."""
        results = self.call(hook, policy=policy, **kwargs)
        return results[0][1] if results else None

    def collect(self, hook: str, *, policy: FaultPolicy, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook whose implementations return lists; flatten to ``(plugin, item)``."""
        return [(name, item) for name, items in self.call(hook, policy=policy, **kwargs) for item in items]

    @contextmanager
    def guard(self, plugin: str, call: str, policy: FaultPolicy) -> Iterator["_Outcome"]:
        """Run plugin code under the fault policy.

        An :class:`~xtycore.domain.errors.XtyError` the plugin raises on purpose
        (a declined payment, an invalid webhook) is its answer and propagates
        unchanged. Anything else is a plugin failure: it is logged with the
        plugin's name and recorded; under ``CLOSED`` the caller gets
        :class:`CapabilityUnavailable`, under ``OPEN`` the outcome is marked
        failed and the caller carries on.
        """
        outcome = _Outcome()
        try:
            yield outcome
        except XtyError as exc:
            if getattr(exc, "record_as_failure", False):
                self._record(plugin, call, policy, exc)
            raise
        except Exception as exc:
            self._record(plugin, call, policy, exc)
            if policy is FaultPolicy.CLOSED:
                raise CapabilityUnavailable(f"plugin {plugin} failed in {call}: {exc!r}") from exc
            outcome.failed = True

    def _record(self, plugin: str, call: str, policy: FaultPolicy, exc: BaseException) -> None:
        log.error("plugin %s failed in %s (fail %s)", plugin, call, policy.value, exc_info=exc)
        if self.failure_sink is not None:
            self.failure_sink(plugin, call, policy, exc)


class _Outcome:
    __slots__ = ("value", "failed")

    def __init__(self) -> None:
        self.value: Any = None
        self.failed = False


def send_signal(signal, sender, **kwargs: Any) -> None:
    """Send a blinker signal; a failing receiver is logged, never propagated.

    Signals notify after the fact, so a receiver's failure must not undo or
    interrupt what already happened.
    """
    for receiver in list(signal.receivers_for(sender)):
        try:
            receiver(sender, **kwargs)
        except Exception:  # receivers are notifications: fail open, loudly in the log
            log.exception("receiver %r of signal %r failed", receiver, signal.name)
