"""Thin blueprints: storefront, account, admin, api, webhooks."""
