"""Capability types indexed by kind and code, and their configured instances.

A plugin *defines* capability types (the Alipay gateway); the merchant
*configures* instances of them (two Alipay accounts), stored in the database.
The kernel never dispatches on a code with if/else: it looks the type up here
and calls its verbs through :meth:`ConfiguredCapability.call`, the one wrapper
that applies the fault policy.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping

from flask import current_app
from marshmallow import Schema

from xtycore import vault
from xtycore.domain.couriers import Courier, CourierFeatures
from xtycore.domain.errors import UnknownCapability
from xtycore.domain.payments import GatewayFeatures, PaymentGateway
from xtycore.domain.promotions import PromotionType
from xtycore.domain.support import SupportChannel
from xtycore.plugins import FaultPolicy, Plugins
from xtycore.state import InstanceRow, snapshot

log = logging.getLogger("xtycore.registry")

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")

CLOSED, OPEN = FaultPolicy.CLOSED, FaultPolicy.OPEN


@dataclass(frozen=True)
class Kind:
    """One kind of capability: its hook, protocol, schema attribute and verbs."""

    name: str
    label: str
    hook: str
    protocol: type
    schema_attr: str
    verbs: Mapping[str, FaultPolicy]
    #: the type of the ``features`` object the kind requires, if any
    features: type | None = None


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "payment", "Payment gateway", "xtycore_register_payment_gateways", PaymentGateway,
            "settings_schema",
            dict.fromkeys(
                ("create_payment", "authorize", "capture", "void", "refund", "query", "parse_webhook"),
                CLOSED,
            ),
            GatewayFeatures,
        ),
        Kind(
            "courier", "Courier", "xtycore_register_couriers", Courier, "settings_schema",
            {"is_eligible": CLOSED, "quote": CLOSED, "create_waybill": CLOSED,
             "track": OPEN, "parse_webhook": CLOSED},
            CourierFeatures,
        ),
        Kind(
            "promotion", "Promotion type", "xtycore_register_promotion_types", PromotionType,
            "params_schema", {"evaluate": CLOSED},
        ),
        Kind(
            "support", "Support channel", "xtycore_register_support_channels", SupportChannel,
            "settings_schema", {"send": OPEN, "parse_inbound": CLOSED},
        ),
    )
}


@dataclass(frozen=True)
class CapabilityType:
    """A capability type a plugin registered."""

    kind: Kind
    code: str
    name: str
    plugin: str
    obj: Any

    def schema(self) -> Schema:
        return getattr(self.obj, self.kind.schema_attr)()


def capability_problems(kind: Kind, obj: Any) -> list[str]:
    """Why ``obj`` does not satisfy ``kind``'s protocol (empty when it does)."""
    problems = []
    code = getattr(obj, "code", None)
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        problems.append(f"code {code!r} must match {CODE_PATTERN.pattern}")
    if not isinstance(getattr(obj, "name", None), str) or not obj.name:
        problems.append("name must be a non-empty string")
    schema = getattr(obj, kind.schema_attr, None)
    if not (isinstance(schema, type) and issubclass(schema, Schema)):
        problems.append(f"{kind.schema_attr} must be a marshmallow Schema class")
    for verb in kind.verbs:
        if not callable(getattr(obj, verb, None)):
            problems.append(f"missing method {verb}()")
    if kind.features is not None and not isinstance(getattr(obj, "features", None), kind.features):
        problems.append(f"features must be a {kind.features.__name__}")
    return problems


class Registry:
    """Capability types of the loaded plugins, by kind and code."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins
        self._types: dict[str, dict[str, CapabilityType]] = {k: {} for k in KINDS}

    def build(self) -> None:
        """Collect every loaded plugin's capability types; block plugins that conflict.

        Called once at start-up for all loaded plugins, enabled or not, so that
        enabling a plugin later needs no restart and duplicate codes are found
        before anyone configures them.
        """
        offered: dict[str, list[tuple[Kind, Any]]] = {}
        bad: dict[str, str] = {}
        for kind in KINDS.values():
            for impl in self.plugins.implementations(kind.hook, include_disabled=True):
                try:
                    objs = list(impl.function() or ())
                except Exception as exc:  # a broken plugin is blocked, the shop starts
                    bad[impl.plugin_name] = f"{kind.hook} raised {exc!r}"
                    continue
                for obj in objs:
                    problems = capability_problems(kind, obj)
                    if problems:
                        bad.setdefault(
                            impl.plugin_name,
                            f"{kind.label.lower()} {getattr(obj, 'code', obj)!r}: " + "; ".join(problems),
                        )
                    offered.setdefault(impl.plugin_name, []).append((kind, obj))
        for name, reason in bad.items():
            self.plugins.block_loaded(name, reason)
        # the plugin registered (or installed, by name) first keeps a contested code
        order = list(self.plugins.records)
        for plugin, items in sorted(offered.items(), key=lambda kv: order.index(kv[0])):
            if plugin in bad:
                continue
            conflict = next(
                (
                    (kind, obj) for kind, obj in items
                    if obj.code in self._types[kind.name]
                ),
                None,
            )
            if conflict is not None:
                kind, obj = conflict
                owner = self._types[kind.name][obj.code].plugin
                self.plugins.block_loaded(
                    plugin,
                    f"{kind.label.lower()} code {obj.code!r} is registered by both "
                    f"{owner} and {plugin}; uninstall or block one of them",
                )
                continue
            for kind, obj in items:
                self._types[kind.name][obj.code] = CapabilityType(kind, obj.code, obj.name, plugin, obj)

    # types -----------------------------------------------------------------
    def all_types(self, kind: str) -> list[CapabilityType]:
        return list(self._types[kind].values())

    def types(self, kind: str) -> list[CapabilityType]:
        """The types of ``kind`` whose plugin is enabled."""
        return [t for t in self._types[kind].values() if self.plugins.is_enabled(t.plugin)]

    def type(self, kind: str, code: str) -> CapabilityType:
        found = self._types.get(kind, {}).get(code)
        if found is None or not self.plugins.is_enabled(found.plugin):
            raise UnknownCapability(f"no enabled {kind} type with code {code!r}")
        return found

    # instances -------------------------------------------------------------
    def instances(self, kind: str, *, include_disabled: bool = False) -> list[ConfiguredCapability]:
        """Configured instances of ``kind`` whose type is available, in sort order."""
        found = []
        for row in snapshot().instances:
            if row.kind != kind or not (row.enabled or include_disabled):
                continue
            ctype = self._types[kind].get(row.type_code)
            if ctype is None or not self.plugins.is_enabled(ctype.plugin):
                continue
            found.append(ConfiguredCapability(row, ctype, self.plugins))
        return found

    def instance(self, instance_id: int, *, kind: str | None = None) -> ConfiguredCapability:
        """An enabled instance by id; :class:`UnknownCapability` when there is none."""
        for row in snapshot().instances:
            if row.id == instance_id and (kind is None or row.kind == kind):
                ctype = self._types[row.kind].get(row.type_code)
                if row.enabled and ctype is not None and self.plugins.is_enabled(ctype.plugin):
                    return ConfiguredCapability(row, ctype, self.plugins)
                break
        raise UnknownCapability(f"no enabled {kind or 'capability'} instance with id {instance_id}")


class ConfiguredCapability:
    """A capability instance ready to call: its row, its type and its settings."""

    def __init__(self, row: InstanceRow, ctype: CapabilityType, plugins: Plugins) -> None:
        self.row = row
        self.type = ctype
        self._plugins = plugins

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def display_name(self) -> str:
        return self.row.display_name

    @cached_property
    def settings(self) -> dict[str, Any]:
        return vault.unseal(self.type.schema(), self.row.settings, current_app.secret_key)

    def masked_settings(self) -> dict[str, Any]:
        return vault.masked(self.type.schema(), self.row.settings, current_app.secret_key)

    def call(self, verb: str, **kwargs: Any) -> Any:
        """Call a verb of the capability under its kind's fault policy.

        Fail-closed verbs raise :class:`~xtycore.domain.errors.CapabilityUnavailable`
        when the plugin fails; fail-open verbs return ``None``.
        """
        policy = self.type.kind.verbs[verb]
        call = f"{self.type.kind.name}:{self.type.code}.{verb}"
        with self._plugins.guard(self.type.plugin, call, policy) as outcome:
            kwargs[self.type.kind.schema_attr.replace("_schema", "")] = self.settings
            outcome.value = getattr(self.type.obj, verb)(**kwargs)
        return None if outcome.failed else outcome.value

    def __repr__(self) -> str:
        return f"<{self.type.kind.name} instance {self.id} {self.type.code!r} {self.display_name!r}>"
