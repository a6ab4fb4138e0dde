"""Write a dirty lead CSV like a real export: Vietnamese names, 5% bad emails, 3% bad phones, 10% duplicates
(the same person again with the phone typed another way), mixed phone formats, a semicolon delimiter and BOM.

    uv run python bench/dirty_csv.py --rows 1000000 --out /tmp/leads-1m.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from pheu.clean.search import fold
from pheu.demo import vocab

HEADER = [
    "Họ và tên",
    "Số điện thoại",
    "Email",
    "Tỉnh/Thành phố",
    "Công ty",
    "Chức vụ",
    "utm_source",
    "utm_campaign",
]
PREFIXES = [
    "90",
    "91",
    "93",
    "94",
    "96",
    "97",
    "98",
    "86",
    "88",
    "89",
    "32",
    "33",
    "35",
    "37",
    "38",
    "39",
    "70",
    "77",
    "79",
    "81",
    "83",
    "84",
    "85",
    "56",
    "58",
]
DOMAINS = ["gmail.com"] * 8 + ["yahoo.com", "outlook.com", "congty.vn", "fpt.vn"]


def phone_forms(national: str, rng: random.Random) -> str:
    form = rng.random()
    if form < 0.5:
        return "0" + national
    if form < 0.7:
        return f"0{national[:3]} {national[3:6]} {national[6:]}"
    if form < 0.85:
        return "+84" + national
    return f"0{national[:2]}.{national[2:5]}.{national[5:]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/leads-1m.csv"))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    people: list[list[str]] = []
    families = [f for f, _ in vocab.FAMILY_NAMES]
    with args.out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for i in range(args.rows):
            if people and rng.random() < 0.10:
                again = list(rng.choice(people))
                digits = "".join(ch for ch in again[1] if ch.isdigit())[-9:]
                again[1] = phone_forms(digits, rng) if digits else again[1]
                writer.writerow(again)
                continue
            name = f"{rng.choice(families)} {rng.choice(['Văn', 'Thị', 'Minh', 'Ngọc', 'Đức', 'Thu'])} {rng.choice(['Anh', 'Bình', 'Cường', 'Dung', 'Hương', 'Lan', 'Tuấn', 'Phương', 'Huy', 'Mai', 'Hoa', 'Long'])}"
            national = rng.choice(PREFIXES) + f"{i % 10_000_000:07d}"
            phone = (
                phone_forms(national, rng)
                if rng.random() >= 0.03
                else rng.choice(["12345", "0000000000", "abc", "09"])
            )
            local = fold(name).replace(" ", ".") + str(i)
            email = (
                f"{local}@{rng.choice(DOMAINS)}"
                if rng.random() >= 0.05
                else rng.choice([f"{local}@", f"{local}gmail.com", "n/a", f"{local}@@x"])
            )
            if rng.random() < 0.08:
                email = ""
            row = [
                name,
                phone,
                email,
                rng.choice(["Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "Cần Thơ", "Hải Phòng"]),
                rng.choice(["", "Công ty TNHH An Phát", "Công ty CP Minh Long"]),
                rng.choice(["", "Giám đốc", "Kế toán"]),
                rng.choice(["facebook", "google", "zalo"]),
                rng.choice(["", "black-friday-2026"]),
            ]
            if len(people) < 200_000:
                people.append(row)
            elif rng.random() < 0.01:
                people[rng.randrange(len(people))] = row
            writer.writerow(row)
    print(f"wrote {args.rows:,} rows to {args.out}")


if __name__ == "__main__":
    main()
