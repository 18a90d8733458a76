"""Use cases: load rows, apply domain rules, persist in one transaction, emit signals."""
