"""Example instance configuration; `xty init` writes a real config.py next to it.

Every key is documented in docs/configuration.md.
"""

SECRET_KEY = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://shop@127.0.0.1:5432/shop"
# SHOP_NAME = "小甜园"
# SHOP_CURRENCY = "CNY"
# SHOP_TIMEZONE = "Asia/Shanghai"
# JOBS_BACKEND = "redis"
# REDIS_URL = "redis://127.0.0.1:6379/0"
