import re

from sqlalchemy import select

from tests.accounts.conftest import FAST_HASHING
from tests.accounts.helpers import PASSWORD, login, signed_up
from xtycore.extensions import db
from xtycore.models import Customer
from xtycore.security import hash_password, verify_password


def stored_hash(app, email="mei@example.cn") -> str:
    with app.app_context():
        return db.session.execute(select(Customer.password_hash).where(Customer.email == email)).scalar_one()


def test_passwords_are_stored_as_argon2id_hashes_with_the_configured_costs(xty_app):
    signed_up(xty_app.test_client())
    stored = stored_hash(xty_app)
    assert re.fullmatch(r"\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", stored)
    assert PASSWORD not in stored


def test_the_default_costs_are_argon2ids_recommended_64_mib_three_passes(xty_make_app):
    app = xty_make_app(config={
        "PASSWORD_HASH_TIME_COST": 3, "PASSWORD_HASH_MEMORY_COST": 65536, "PASSWORD_HASH_PARALLELISM": 4,
    })
    with app.app_context():
        hashed = hash_password("秘密 password")
        assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(hashed, "秘密 password")
        assert not verify_password(hashed, "秘密 Password")


def test_a_hash_that_is_not_argon2_never_matches(xty_app):
    with xty_app.app_context():
        assert not verify_password("pbkdf2:sha256:600000$abc$def", PASSWORD)


def test_logging_in_upgrades_a_hash_made_with_older_costs(xty_make_app):
    old = xty_make_app()
    signed_up(old.test_client())
    assert "$m=1024,t=1,p=1$" in stored_hash(old)
    stronger = xty_make_app(config={**FAST_HASHING, "PASSWORD_HASH_MEMORY_COST": 2048, "PASSWORD_HASH_TIME_COST": 2})
    client = stronger.test_client()
    assert login(client).status_code == 302
    upgraded = stored_hash(stronger)
    assert "$m=2048,t=2,p=1$" in upgraded
    client.post("/account/logout")
    assert login(client).status_code == 302, "the upgraded hash still verifies the same password"
    assert stored_hash(stronger) == upgraded, "no rehash when the costs already match"
