"""Rules of a mainland-Chinese postal address (standard library only).

A Chinese address is written from the largest unit to the smallest: province
(省, or a municipality 直辖市 / autonomous region 自治区 / SAR), city (市),
district or county (区/县), then the street and house number. Couriers route
on the first three, so they must be real names, not free text: the province
must be one of the 34 provincial-level divisions (short forms such as "广东"
are completed to "广东省"), and the city may repeat the province only for the
four municipalities, where the province *is* the city (北京市 / 北京市 / 朝阳区).

:func:`address_errors` returns every problem at once, keyed by field, so a
form can show each message beside its input. Messages are :class:`Message`
strings: English text that also carries its msgid and values, so the web
layer puts them into the customer's language with Flask-Babel
(:func:`xtycore.services.addresses.translated`); ``_`` marks them for
``pybabel extract``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

#: A mainland mobile number: 11 digits, 1 then 3-9 (no +86, no spaces).
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
#: A six-digit postcode (邮政编码).
POSTCODE_PATTERN = re.compile(r"^\d{6}$")

#: The four municipalities directly under the central government (直辖市).
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})

#: Every provincial-level division, full official name.
PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市",
    "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省",
    "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
    "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
)

_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def _short_name(full: str) -> str:
    for suffix in _SUFFIXES:
        if full.endswith(suffix):
            return full[: -len(suffix)]
    return full


#: Short forms people type ("广东", "内蒙古", "新疆") -> the full name.
_BY_SHORT_NAME = {_short_name(name): name for name in PROVINCES}

#: Field lengths, shared with the database columns.
MAX_LENGTHS = {
    "recipient": 50,
    "mobile": 11,
    "province": 20,
    "city": 30,
    "district": 30,
    "street": 200,
    "postcode": 6,
}


class Message(str):
    """A customer message: the English text, with the msgid and values it was made from for translation."""

    msgid: str
    values: Mapping[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> Message:
        text = super().__new__(cls, msgid % values if values else msgid)
        text.msgid, text.values = msgid, values
        return text

    def format(self, *args: Any, **kwargs: Any) -> Message:
        """The message itself: it carries its own values (marshmallow's validators call ``error.format``)."""
        return self


#: Marks messages for extraction (babel.cfg's ``_`` keyword) and makes them (stdlib only here, no Flask).
_ = Message


@dataclass(frozen=True)
class ChineseAddress:
    """An address as the customer typed it, whitespace trimmed; ``postcode`` may be empty."""

    recipient: str
    mobile: str
    province: str
    city: str
    district: str
    street: str
    postcode: str = ""


def normalise_province(name: str) -> str | None:
    """The full name of a provincial-level division, from its full or short form; None if unknown."""
    name = name.strip()
    if name in PROVINCES:
        return name
    return _BY_SHORT_NAME.get(name)


def normalise_city(province: str, city: str) -> str:
    """For a municipality, a city written as the short form ("北京") means the municipality itself."""
    city = city.strip()
    if province in MUNICIPALITIES and _short_name(province) == city:
        return province
    return city


def mobile_error(mobile: str) -> str | None:
    if not MOBILE_PATTERN.match(mobile):
        return _("Please enter an 11-digit mobile number, e.g. 13800138000")
    return None


def postcode_error(postcode: str) -> str | None:
    if postcode and not POSTCODE_PATTERN.match(postcode):
        return _("A postcode has 6 digits (you may leave it empty)")
    return None


def city_error(province: str, city: str) -> str | None:
    """Only a municipality's city may repeat the province; any other city differs from it."""
    if city == province and province not in MUNICIPALITIES:
        return _("Please enter a city in %(province)s, e.g. a prefecture-level city", province=province)
    if province in MUNICIPALITIES and city in MUNICIPALITIES and city != province:
        return _("The city of %(province)s is “%(province)s”", province=province)
    return None


def normalise(address: ChineseAddress) -> ChineseAddress:
    """Trim every field, complete a short province name and a municipality's city."""
    province = normalise_province(address.province) or address.province.strip()
    return ChineseAddress(
        recipient=address.recipient.strip(),
        mobile=address.mobile.strip(),
        province=province,
        city=normalise_city(province, address.city),
        district=address.district.strip(),
        street=address.street.strip(),
        postcode=address.postcode.strip(),
    )


#: What a missing field is told.
_MISSING = {
    "recipient": _("Please enter the recipient's name"),
    "province": _("Please enter the province"),
    "city": _("Please enter the city"),
    "district": _("Please enter the district or county"),
    "street": _("Please enter the street address"),
}


def address_errors(address: ChineseAddress) -> dict[str, list[str]]:
    """Every problem of a (normalised) address, field -> messages; empty when it is valid."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str | None) -> None:
        if message:
            errors.setdefault(field, []).append(message)

    values: Mapping[str, str] = vars(address)
    for field, message in _MISSING.items():
        if not values[field]:
            add(field, message)
    for field, limit in MAX_LENGTHS.items():
        if field not in ("mobile", "postcode") and len(values[field]) > limit:
            add(field, _("At most %(number)s characters", number=limit))
    add("mobile", mobile_error(address.mobile))
    add("postcode", postcode_error(address.postcode))
    if address.province and "province" not in errors:
        if address.province not in PROVINCES:
            add("province", _("Please enter a province, municipality or autonomous region, e.g. 广东省, 北京市"))
        elif address.city and "city" not in errors:
            add("city", city_error(address.province, address.city))
    if address.street and len(address.street) < 4 and "street" not in errors:
        add("street", _("Please enter the street and house number (at least 4 characters)"))
    return errors
