"""Staff tests hash with the cheapest argon2id costs; one test raises them to check the upgrade."""

import pytest

CHEAP = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1}


@pytest.fixture
def xty_config():
    return dict(CHEAP)
