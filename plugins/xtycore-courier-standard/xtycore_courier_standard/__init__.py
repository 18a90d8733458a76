"""Standard shipping methods for xtycore (no carrier API needed)."""
