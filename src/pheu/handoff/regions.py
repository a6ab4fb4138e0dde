"""Provinces of Vietnam and the region each belongs to (North, Central, South), so a rule can say "the
North" instead of listing provinces.

Both the 34 province-level units in force since the 2025 merger and the 63 before it are known, because
forms and imported lists keep using the old names for years. Names are matched folded (no tones, no case),
without the "TP." / "Thành phố" / "Tỉnh" prefix people sometimes type.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pheu.clean.search import fold


class Region(StrEnum):
    NORTH = "north"
    CENTRAL = "central"
    SOUTH = "south"


_NORTH: Final = (
    "Hà Nội",
    "Hải Phòng",
    "Quảng Ninh",
    "Bắc Ninh",
    "Hưng Yên",
    "Ninh Bình",
    "Phú Thọ",
    "Thái Nguyên",
    "Lào Cai",
    "Tuyên Quang",
    "Lạng Sơn",
    "Cao Bằng",
    "Điện Biên",
    "Lai Châu",
    "Sơn La",
    # before the 2025 merger
    "Hải Dương",
    "Bắc Giang",
    "Thái Bình",
    "Nam Định",
    "Hà Nam",
    "Vĩnh Phúc",
    "Hòa Bình",
    "Bắc Kạn",
    "Hà Giang",
    "Yên Bái",
)
_CENTRAL: Final = (
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Quảng Trị",
    "Huế",
    "Đà Nẵng",
    "Quảng Ngãi",
    "Gia Lai",
    "Đắk Lắk",
    "Khánh Hòa",
    "Lâm Đồng",
    # before the 2025 merger
    "Quảng Bình",
    "Thừa Thiên Huế",
    "Quảng Nam",
    "Kon Tum",
    "Bình Định",
    "Phú Yên",
    "Ninh Thuận",
    "Bình Thuận",
    "Đắk Nông",
)
_SOUTH: Final = (
    "Hồ Chí Minh",
    "Đồng Nai",
    "Tây Ninh",
    "Cần Thơ",
    "Vĩnh Long",
    "Đồng Tháp",
    "Cà Mau",
    "An Giang",
    # before the 2025 merger
    "Bình Dương",
    "Bà Rịa - Vũng Tàu",
    "Bình Phước",
    "Long An",
    "Tiền Giang",
    "Bến Tre",
    "Trà Vinh",
    "Sóc Trăng",
    "Hậu Giang",
    "Bạc Liêu",
    "Kiên Giang",
)
_PREFIXES: Final = ("tp. ", "tp ", "thanh pho ", "tinh ")
_ALIASES: Final = {"sai gon": "ho chi minh", "hcm": "ho chi minh", "tphcm": "ho chi minh", "hn": "ha noi"}


def province_key(name: str) -> str:
    """The folded form a province is compared by: "TP. Hồ Chí Minh" and "ho chi minh" give the same key."""
    key = fold(name).replace("–", "-")
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    key = key.removesuffix(" city")
    return _ALIASES.get(key, key)


REGION_OF: Final[dict[str, Region]] = {
    province_key(name): region
    for names, region in ((_NORTH, Region.NORTH), (_CENTRAL, Region.CENTRAL), (_SOUTH, Region.SOUTH))
    for name in names
}

PROVINCES: Final[tuple[str, ...]] = _NORTH[:15] + _CENTRAL[:11] + _SOUTH[:8]


def region_of(province: str | None) -> Region | None:
    """The region of a province name as typed, or None when it is empty or not a province we know."""
    if not province:
        return None
    return REGION_OF.get(province_key(province))
