"""The demo tests hash with the cheapest argon2id costs: they create several accounts."""

import pytest

CHEAP = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1}


@pytest.fixture
def xty_config():
    return dict(CHEAP)
