"""Check `xty` command lines written in documentation against the real command line."""

from __future__ import annotations

import shlex

import click

from xtycore.cli import main


def xty_command_lines(text: str) -> list[list[str]]:
    """The words after `xty` of every command line in ``text`` (backslash continuations joined)."""
    joined = text.replace("\\\n", " ")
    lines = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True) if line.strip().startswith("xty ") else []
        if words:
            lines.append(words[1:])
    return lines


def problems(words: list[str]) -> list[str]:
    """What is wrong with ``xty <words>``: no such command, unknown options (empty when none)."""
    command: click.Command = main
    rest = words
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command, rest = command.commands[rest[0]], rest[1:]
    if isinstance(command, click.Group):
        return [f"`xty {' '.join(words)}` names no command"]
    known = {opt for param in command.params for opt in param.opts}
    return [f"{word} is not an option" for word in rest if word.startswith("--") and word.split("=")[0] not in known]
