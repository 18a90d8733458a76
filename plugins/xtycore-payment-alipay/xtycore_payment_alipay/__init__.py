"""支付宝 Alipay for xtycore: page and WAP payments through Alipay's openapi gateway, signed with RSA2."""
