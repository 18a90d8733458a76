"""WeChat Pay (微信支付) API v3 gateway for xtycore."""
