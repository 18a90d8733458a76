"""``xty staff``: create staff accounts and list them."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from xtycore.domain.staff import ROLE_DESCRIPTIONS, StaffError, StaffRole

staff_group = AppGroup("staff", help="Staff accounts (the people who run the shop; not customers).")

ROLE_HELP = "; ".join(f"{role.value}: {text}" for role, text in ROLE_DESCRIPTIONS.items())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # one line, so `printf '%s\n' "$PW" | xty staff create …` and a password manager's pipe both work
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@staff_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in StaffRole]), help=ROLE_HELP)
@click.option("--name", "display_name", default="", help="The name colleagues see; default: the email's local part.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def staff_create(email: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a staff account; prompts for the password (twice) unless --password-stdin."""
    from xtycore.services import staff

    password = _read_password(password_stdin)
    try:
        created = staff.create_staff(email, password, role=role, display_name=display_name)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created staff #{created.id} {created.email} ({created.role})")


@staff_group.command("list")
def staff_list() -> None:
    """Every staff account with its role and whether it is active."""
    from xtycore.services import staff

    rows = staff.list_staff()
    if not rows:
        click.echo("no staff accounts; create one with `xty staff create EMAIL --role owner`")
        return
    click.echo(f"{'ID':>4}  {'EMAIL':32} {'ROLE':17} {'ACTIVE':7} NAME")
    for row in rows:
        click.echo(f"{row.id:>4}  {row.email:32} {row.role:17} {'yes' if row.is_active else 'no':7} "
                   f"{row.display_name}")


def create_first_owner(email: str) -> None:
    """``xty init --owner EMAIL``: the first owner, with a generated password printed once."""
    from xtycore import create_app
    from xtycore.services import staff

    with create_app().app_context():
        try:
            password = staff.create_first_owner(email)
        except StaffError as exc:
            raise click.ClickException(str(exc)) from None
    if password is None:
        click.echo("staff accounts exist already; no owner created (`xty staff list` shows them)")
        return
    click.echo(f"staff owner: {email.strip().lower()}  password: {password}  (shown once; sign in at /admin/ "
               "and change it)")
