"""Rules of a mainland-Chinese postal address (standard library only).

A Chinese address is written from the largest unit to the smallest: province
(省, or a municipality 直辖市 / autonomous region 自治区 / SAR), city (市),
district or county (区/县), then the street and house number. Couriers route
on the first three, so they must be real names, not free text: the province
must be one of the 34 provincial-level divisions (short forms such as "广东"
are completed to "广东省"), and the city may repeat the province only for the
four municipalities, where the province *is* the city (北京市 / 北京市 / 朝阳区).

:func:`address_errors` returns every problem at once, keyed by field, so a
form can show each message beside its input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

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
        return "请输入11位手机号，例如 13800138000"
    return None


def postcode_error(postcode: str) -> str | None:
    if postcode and not POSTCODE_PATTERN.match(postcode):
        return "邮政编码为6位数字，可以不填"
    return None


def city_error(province: str, city: str) -> str | None:
    """Only a municipality's city may repeat the province; any other city differs from it."""
    if city == province and province not in MUNICIPALITIES:
        return f"请填写{province}下的城市，例如地级市名称"
    if province in MUNICIPALITIES and city in MUNICIPALITIES and city != province:
        return f"{province}的城市应填写“{province}”"
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


def address_errors(address: ChineseAddress) -> dict[str, list[str]]:
    """Every problem of a (normalised) address, field -> messages; empty when it is valid."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str | None) -> None:
        if message:
            errors.setdefault(field, []).append(message)

    values: Mapping[str, str] = vars(address)
    labels = {"recipient": "收货人", "province": "省份", "city": "城市", "district": "区/县", "street": "详细地址"}
    for field, label in labels.items():
        if not values[field]:
            add(field, f"请填写{label}")
    for field, limit in MAX_LENGTHS.items():
        if field not in ("mobile", "postcode") and len(values[field]) > limit:
            add(field, f"最多{limit}个字")
    add("mobile", mobile_error(address.mobile))
    add("postcode", postcode_error(address.postcode))
    if address.province and "province" not in errors:
        if address.province not in PROVINCES:
            add("province", "请选择省、直辖市或自治区，例如 广东省、北京市")
        elif address.city and "city" not in errors:
            add("city", city_error(address.province, address.city))
    if address.street and len(address.street) < 4 and "street" not in errors:
        add("street", "请填写街道、门牌号等详细地址（至少4个字）")
    return errors
