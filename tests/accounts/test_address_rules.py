import pytest

from xtycore.domain.addresses import (
    PROVINCES, ChineseAddress, address_errors, normalise, normalise_province,
)

VALID = ChineseAddress("张三", "13800138000", "浙江省", "杭州市", "西湖区", "文三路100号", "310012")


def errors_of(**changes):
    return address_errors(normalise(ChineseAddress(**{**vars(VALID), **changes})))


def test_a_complete_address_has_no_errors():
    assert errors_of() == {}


def test_there_are_thirty_four_provincial_level_divisions():
    assert len(set(PROVINCES)) == 34


@pytest.mark.parametrize("typed, full", [
    ("广东", "广东省"), ("广东省", "广东省"), ("内蒙古", "内蒙古自治区"), ("新疆", "新疆维吾尔自治区"),
    ("上海", "上海市"), (" 香港 ", "香港特别行政区"), ("火星", None),
])
def test_short_province_names_are_completed(typed, full):
    assert normalise_province(typed) == full


@pytest.mark.parametrize("mobile", ["13800138000", "19912345678", "15000000000"])
def test_mainland_mobile_numbers_are_accepted(mobile):
    assert errors_of(mobile=mobile) == {}


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "138001380001", "+8613800138000", "1380013800a", ""])
def test_other_mobile_numbers_are_refused(mobile):
    assert list(errors_of(mobile=mobile)) == ["mobile"]


def test_the_postcode_is_optional_but_six_digits_when_given():
    assert errors_of(postcode="") == {}
    assert list(errors_of(postcode="31001")) == ["postcode"]


@pytest.mark.parametrize("province", ["北京市", "天津市", "上海市", "重庆市"])
def test_only_a_municipality_may_be_its_own_city(province):
    assert errors_of(province=province, city=province, district="某区") == {}


def test_a_province_is_not_a_city():
    assert list(errors_of(province="浙江省", city="浙江省")) == ["city"]


def test_a_municipality_city_cannot_be_another_municipality():
    assert list(errors_of(province="北京市", city="上海市")) == ["city"]


def test_overlong_fields_are_refused():
    assert list(errors_of(street="路" * 201)) == ["street"]
    assert list(errors_of(recipient="名" * 51)) == ["recipient"]
