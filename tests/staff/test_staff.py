"""Staff accounts: created with a role, passwords hashed with argon2id and verified, kept apart from customers."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from tests.staff.conftest import CHEAP
from xtycore.cli import main
from xtycore.domain.staff import StaffError, StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Staff
from xtycore.services import accounts, staff

PASSWORD = "tea garden owner 42"


def test_a_staff_account_is_created_with_its_role_and_an_argon2id_hash(xty_db):
    created = staff.create_staff("  Owner@Shop.Example ", PASSWORD, role="owner", display_name="店主")
    row = db.session.get(Staff, created.id)
    assert (row.email, row.role, row.display_name, row.is_active) == ("owner@shop.example", "owner", "店主", True)
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert row.created_at is not None


def test_the_right_password_verifies_and_a_wrong_one_or_an_unknown_email_do_not(xty_db):
    staff.create_staff("clerk@shop.example", PASSWORD, role=StaffRole.ORDER_CLERK)
    assert staff.verify_staff("CLERK@shop.example", PASSWORD).role == "order_clerk"
    with pytest.raises(staff.InvalidStaffCredentials) as wrong:
        staff.verify_staff("clerk@shop.example", PASSWORD + "!")
    with pytest.raises(staff.InvalidStaffCredentials) as unknown:
        staff.verify_staff("nobody@shop.example", PASSWORD)
    assert wrong.value.customer_message == unknown.value.customer_message


def test_a_disabled_account_does_not_verify(xty_db):
    created = staff.create_staff("gone@shop.example", PASSWORD, role="support_agent")
    with transaction():
        db.session.get(Staff, created.id).is_active = False
    with pytest.raises(staff.StaffDisabled):
        staff.verify_staff("gone@shop.example", PASSWORD)


def test_one_account_per_email_whatever_its_case(xty_db):
    staff.create_staff("finance@shop.example", PASSWORD, role="finance")
    with pytest.raises(staff.StaffEmailTaken):
        staff.create_staff("FINANCE@shop.example", PASSWORD, role="read_only")


@pytest.mark.parametrize("email, role, password, message", [
    ("a@shop.example", "cashier", PASSWORD, "no staff role 'cashier'"),
    ("a@shop.example", "owner", "short pw", "at least 12 characters"),
    ("a@shop.example", "owner", " " * 12, "only spaces"),
    ("not-an-email", "owner", PASSWORD, "is not an email address"),
])
def test_bad_input_is_refused_with_the_reason(xty_db, email, role, password, message):
    with pytest.raises(StaffError, match=message):
        staff.create_staff(email, password, role=role)
    assert staff.list_staff() == []


def test_the_database_refuses_a_role_that_does_not_exist(xty_db):
    with pytest.raises(IntegrityError):
        with transaction():
            db.session.execute(insert(Staff).values(
                email="x@shop.example", display_name="x", password_hash="h", role="superuser", is_active=True,
                created_at=db.func.now(),
            ))


def test_staff_and_customers_are_separate_accounts(xty_db):
    staff.create_staff("mei@shop.example", PASSWORD, role="manager")
    assert accounts.find_customer("mei@shop.example") is None
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate("mei@shop.example", PASSWORD)
    accounts.register(email="mei@shop.example", password="customer password 1")
    assert staff.verify_staff("mei@shop.example", PASSWORD).role == "manager"


def test_a_hash_made_with_older_costs_is_upgraded_when_it_verifies(xty_make_app):
    with xty_make_app().app_context():
        old = staff.create_staff("owner@shop.example", PASSWORD, role="owner").password_hash
    stronger = xty_make_app(config={**CHEAP, "PASSWORD_HASH_TIME_COST": 2})
    with stronger.app_context():
        upgraded = staff.verify_staff("owner@shop.example", PASSWORD).password_hash
        assert upgraded != old and ",t=2," in upgraded
        assert staff.verify_staff("owner@shop.example", PASSWORD).password_hash == upgraded


def test_list_puts_owners_first(xty_db):
    staff.create_staff("b@shop.example", PASSWORD, role="read_only")
    staff.create_staff("c@shop.example", PASSWORD, role="owner")
    staff.create_staff("a@shop.example", PASSWORD, role="read_only")
    assert [s.email for s in staff.list_staff()] == ["c@shop.example", "a@shop.example", "b@shop.example"]


# the command line --------------------------------------------------------------


def test_xty_staff_create_reads_the_password_from_stdin(xty_app, xty_cli):
    result = xty_cli.invoke(main, ["staff", "create", "Boss@Shop.example", "--role", "owner", "--password-stdin"],
                            input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created staff #1 boss@shop.example (owner)" in result.output
    with xty_app.app_context():
        assert staff.verify_staff("boss@shop.example", PASSWORD).role == "owner"


def test_xty_staff_create_prompts_twice_and_refuses_a_mismatch(xty_app, xty_cli):
    mismatch = xty_cli.invoke(main, ["staff", "create", "a@shop.example", "--role", "manager"],
                              input=f"{PASSWORD}\nsomething else 42\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output.lower()
    assert PASSWORD not in mismatch.output
    with xty_app.app_context():
        assert staff.verify_staff("a@shop.example", PASSWORD).role == "manager"


def test_xty_staff_create_explains_a_refusal(xty_app, xty_cli):
    short = xty_cli.invoke(main, ["staff", "create", "a@shop.example", "--role", "owner", "--password-stdin"],
                           input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    bad_role = xty_cli.invoke(main, ["staff", "create", "a@shop.example", "--role", "boss", "--password-stdin"],
                              input=PASSWORD + "\n")
    assert bad_role.exit_code == 2 and "owner" in bad_role.output
    xty_cli.invoke(main, ["staff", "create", "a@shop.example", "--role", "owner", "--password-stdin"],
                   input=PASSWORD + "\n")
    taken = xty_cli.invoke(main, ["staff", "create", "A@shop.example", "--role", "owner", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert taken.exit_code == 1 and "exists" in taken.output


def test_xty_staff_list_shows_each_account(xty_app, xty_cli):
    empty = xty_cli.invoke(main, ["staff", "list"])
    assert "no staff accounts" in empty.output
    with xty_app.app_context():
        staff.create_staff("clerk@shop.example", PASSWORD, role="order_clerk", display_name="小王")
    listed = xty_cli.invoke(main, ["staff", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if "clerk@shop.example" in line)
    assert line.split() == ["1", "clerk@shop.example", "order_clerk", "yes", "小王"]
