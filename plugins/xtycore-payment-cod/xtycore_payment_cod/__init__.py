"""货到付款 Cash on delivery for xtycore: staff confirm the cash the courier collected."""
