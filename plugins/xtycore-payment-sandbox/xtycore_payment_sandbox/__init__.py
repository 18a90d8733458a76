"""Sandbox (test payments): a demo payment gateway for xtycore that moves no money."""
