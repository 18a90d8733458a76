"""Generate ``docs/hooks.md`` from the hookspecs' docstrings.

The reference is generated, never written by hand, so it cannot drift from
:mod:`xtycore.hookspecs`; ``xty docs-hooks --check`` and a test fail when the
committed file is stale.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from xtycore import hookspecs

HEADER = """# Hook reference

Generated from `xtycore/hookspecs.py` by `xty docs-hooks`; do not edit by hand.
Every hook is called with keyword arguments, so an implementation may accept
any subset of the parameters. See [plugins.md](plugins.md) for a plugin end to
end and [the signals](#signals) for fire-and-forget notifications.
"""


@dataclass
class HookDoc:
    name: str
    group: str
    signature: str
    firstresult: bool
    summary: str
    body: str
    params: dict[str, str]
    returns: str
    example: str


def hook_functions():
    return [
        (name, func)
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("xtycore_")
    ]


def _split(doc: str) -> tuple[str, str, dict[str, str], str, str]:
    doc = inspect.cleandoc(doc)
    text, _, example = doc.partition("Example::")
    params: dict[str, str] = {}
    returns = ""
    prose_lines: list[str] = []
    field = re.compile(r"^:(param (\w+)|returns):\s*(.*)$")
    current: tuple[str, str] | None = None
    for line in text.splitlines():
        m = field.match(line)
        if m:
            current = ("param", m.group(2)) if m.group(2) else ("returns", "")
            if current[0] == "param":
                params[current[1]] = m.group(3)
            else:
                returns = m.group(3)
        elif current is not None and line.startswith("    "):
            if current[0] == "param":
                params[current[1]] += " " + line.strip()
            else:
                returns += " " + line.strip()
        else:
            current = None
            prose_lines.append(line)
    prose = "\n".join(prose_lines).strip()
    summary, _, body = prose.partition("\n\n")
    return summary.strip(), body.strip(), params, returns.strip(), inspect.cleandoc(example) if example else ""


_ROLE = re.compile(r":(?:class|func|mod|data|meth|attr|exc):`~?([^`]+)`")


def markdown(text: str) -> str:
    """Turn the reST of docstrings into Markdown: roles and double backticks."""
    return _ROLE.sub(r"`\1`", text).replace("``", "`")


def collect() -> list[HookDoc]:
    docs = []
    for name, func in hook_functions():
        summary, body, params, returns, example = _split(func.__doc__ or "")
        spec_opts = getattr(func, "xtycore_spec", None) or {}
        docs.append(
            HookDoc(
                name=name,
                group=getattr(func, "xtycore_group", ""),
                signature=f"{name}{inspect.signature(func)}".replace("'", ""),
                firstresult=bool(spec_opts.get("firstresult")),
                summary=markdown(summary),
                body=markdown(body),
                params={k: markdown(v) for k, v in params.items()},
                returns=markdown(returns),
                example=example,
            )
        )
    order = list(hookspecs.GROUPS)
    docs.sort(key=lambda d: (order.index(d.group) if d.group in order else len(order), d.name))
    return docs


def render() -> str:
    from xtycore import signals

    out = [HEADER]
    out.append("## Contents\n")
    for key, title in hookspecs.GROUPS.items():
        out.append(f"- **{title}**: " + ", ".join(f"[`{d.name}`](#{d.name})" for d in collect() if d.group == key))
    out.append("")
    current = None
    for d in collect():
        if d.group != current:
            current = d.group
            out.append(f"## {hookspecs.GROUPS.get(d.group, d.group)}\n")
        out.append(f"### {d.name}\n")
        out.append(f"```python\n{d.signature}\n```\n")
        out.append(d.summary + "\n")
        if d.body:
            out.append(d.body + "\n")
        if d.firstresult:
            out.append("*First result wins: the kernel stops at the first non-None result.*\n")
        if d.params:
            out.append("Parameters:\n")
            out.extend(f"- `{p}`: {text}" for p, text in d.params.items())
            out.append("")
        out.append(f"Returns: {d.returns}\n")
        out.append("Example:\n")
        out.append(f"```python\n{d.example}\n```\n")
    out.append("## Signals\n")
    out.append(
        "Blinker signals in `xtycore.signals`, sent with the application as sender after the "
        "change is committed. Connect with `signals.order_paid.connect(receiver)`; receivers take "
        "`(sender, **kwargs)` and their failures are logged, never propagated.\n"
    )
    out.append("| signal | when, and its keyword arguments |\n|---|---|")
    for attr, sig in sorted(vars(signals).items()):
        if hasattr(sig, "receivers_for") and not attr.startswith("_"):
            out.append(f"| `{attr}` | {sig.__doc__} |")
    return "\n".join(out).rstrip() + "\n"
