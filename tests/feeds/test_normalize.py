"""Reading Vietnamese and English warnings: severity words, CVSS, CVE ids, letter numbers, dates, category, watch."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from watchdesk.core.enums import Category, Severity
from watchdesk.feeds.dates import parse_date
from watchdesk.feeds.items import RawItem
from watchdesk.feeds.normalize import (
    Watch, categorize, find_cves, find_cvss, find_doc_number, normalize, severity_from_label, severity_from_words,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("label", "expected"), [
    ("Nghiêm trọng", Severity.CRITICAL), ("nghiem trong", Severity.CRITICAL), ("NGHIÊM TRỌNG", Severity.CRITICAL),
    ("Cao", Severity.HIGH), ("cao", Severity.HIGH), ("Trung bình", Severity.MEDIUM), ("trung binh", Severity.MEDIUM),
    ("Thấp", Severity.LOW), ("thap", Severity.LOW), ("Critical", Severity.CRITICAL), ("HIGH", Severity.HIGH),
    ("Moderate", Severity.MEDIUM), ("9,8", Severity.CRITICAL), ("7.5", Severity.HIGH), ("banana", None),
])
def test_a_source_severity_field_is_read_with_or_without_diacritics(label: str, expected: Severity | None) -> None:
    assert severity_from_label(label) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Mức độ: Cao", Severity.HIGH),
    ("muc do nguy hiem: thap", Severity.LOW),
    ("Mức độ ảnh hưởng: trung bình", Severity.MEDIUM),
    ("Lỗ hổng bảo mật nghiêm trọng trong FortiOS", Severity.CRITICAL),
    ("lo hong bao mat nghiem trong trong FortiOS", Severity.CRITICAL),
    ("Severity: High", Severity.HIGH),
    ("A critical vulnerability in PAN-OS", Severity.CRITICAL),
])
def test_severity_words_in_free_text(text: str, expected: Severity) -> None:
    found = severity_from_words(text)
    assert found is not None and found[0] == expected


def test_bao_cao_is_a_report_not_high_severity() -> None:
    """'báo cáo' (report) folds to 'bao cao'; the bare syllable 'cao' must not read as 'high'."""
    assert severity_from_words("Báo cáo tình hình tuần") is None
    assert severity_from_words("bao cao tinh hinh tuan") is None
    assert severity_from_words("critical infrastructure operators") is None


def test_cvss_with_a_decimal_comma() -> None:
    assert find_cvss("điểm CVSS 9,8") == 9.8
    assert find_cvss("CVSS v3.1: 7,5 và CVSS 9.1") == 9.1
    assert find_cvss("(CVSS 10.0)") == 10.0
    assert find_cvss("phiên bản 9,8") is None


def test_cve_ids_with_stray_spaces_and_dashes() -> None:
    text = "CVE - 2022-40684, cve-2024-3400 và CVE–2023–46805; lại CVE-2022-40684"
    assert find_cves(text) == ("CVE-2022-40684", "CVE-2024-3400", "CVE-2023-46805")


def test_letter_numbers() -> None:
    assert find_doc_number("Công văn số 1547/CATTT-NCSC ngày 17/4/2024") == "1547/CATTT-NCSC"
    assert find_doc_number("theo văn bản 5644/BTTTT-CATTT") == "5644/BTTTT-CATTT"
    assert find_doc_number("Quyết định 123/QĐ-BCA") == "123/QĐ-BCA"
    assert find_doc_number("trực 24/7 từ 17/04/2024, giao thức TCP/IP") == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("Wed, 17 Apr 2024 08:30:00 +0700", datetime(2024, 4, 17, 1, 30, tzinfo=timezone.utc)),
    ("Wed, 17 Apr 2024 01:30:00 GMT", datetime(2024, 4, 17, 1, 30, tzinfo=timezone.utc)),
    ("2024-04-17T08:30:00+07:00", datetime(2024, 4, 17, 1, 30, tzinfo=timezone.utc)),
    ("2024-04-17T01:30:00Z", datetime(2024, 4, 17, 1, 30, tzinfo=timezone.utc)),
    ("2024-04-17T08:30:00", datetime(2024, 4, 17, 1, 30, tzinfo=timezone.utc)),  # no zone: the desk's
    ("17/04/2024", datetime(2024, 4, 16, 17, 0, tzinfo=timezone.utc)),  # midnight in Hanoi
    ("17/4/2024 14:30", datetime(2024, 4, 17, 7, 30, tzinfo=timezone.utc)),
    ("14:30 17/04/2024", datetime(2024, 4, 17, 7, 30, tzinfo=timezone.utc)),
    ("Hà Nội, ngày 17 tháng 4 năm 2024", datetime(2024, 4, 16, 17, 0, tzinfo=timezone.utc)),
    ("ngay 17 thang 4 nam 2024", datetime(2024, 4, 16, 17, 0, tzinfo=timezone.utc)),
    ("31/02/2024", None),
    ("hôm qua", None),
])
def test_dates_are_read_in_the_desk_zone(text: str, expected: datetime | None) -> None:
    assert parse_date(text, HANOI) == expected


@pytest.mark.parametrize(("title", "expected"), [
    ("Cảnh báo lỗ hổng bảo mật nghiêm trọng trong FortiOS", Category.VULNERABILITY),
    ("Cảnh báo chiến dịch tấn công APT nhắm vào cơ quan nhà nước", Category.APT),
    ("Cảnh báo chiến dịch lừa đảo giả mạo ngân hàng", Category.PHISHING),
    ("Tổng hợp tình hình an toàn thông tin tuần 15", Category.SUMMARY),
    ("Danh sách địa chỉ IP botnet tháng 4", Category.BOTNET),
    ("Microsoft phát hành bản vá tháng 4/2024", Category.VULNERABILITY),
    ("Thông báo lịch nghỉ lễ", Category.OTHER),
])
def test_categories(title: str, expected: Category) -> None:
    assert categorize(title, "") == expected


def _item(**kw: object) -> RawItem:
    return RawItem(**{"native_id": "x", "title": "Cảnh báo", **kw})  # type: ignore[arg-type]


def test_watch_list_marks_affects_us_and_raises_severity_one_step() -> None:
    watch = Watch.of(vendors=["Fortinet"], products=["Cổng thông tin điện tử"])
    hit = normalize(_item(summary="Lỗ hổng trong sản phẩm của FORTINET. Mức độ: Cao."), default_severity=Severity.MEDIUM, zone=HANOI, watch=watch)
    assert hit.affects_us and hit.severity == Severity.CRITICAL
    accentless = normalize(_item(summary="Tan cong vao cong thong tin dien tu. Muc do: thap"), default_severity=Severity.MEDIUM, zone=HANOI, watch=watch)
    assert accentless.affects_us and accentless.severity == Severity.MEDIUM
    miss = normalize(_item(summary="Lỗ hổng trong Fortinetwork Suite. Mức độ: Cao."), default_severity=Severity.MEDIUM, zone=HANOI, watch=watch)
    assert not miss.affects_us and miss.severity == Severity.HIGH


def test_the_letters_own_level_beats_a_quoted_cvss_and_summaries_stay_low() -> None:
    letter = normalize(_item(summary="CVE-2024-1 (CVSS 9,8). Mức độ: Cao."), default_severity=Severity.LOW, zone=HANOI)
    assert (letter.severity, letter.severity_raw) == (Severity.HIGH, "Mức độ: Cao")
    weekly = normalize(_item(title="Tổng hợp tình hình tuần 15", summary="Lỗ hổng nghiêm trọng CVE-2024-3400 (CVSS 10.0)"),
                       default_severity=Severity.MEDIUM, zone=HANOI)
    assert weekly.category == Category.SUMMARY and weekly.severity == Severity.LOW
    assert (weekly.cves, weekly.mentions) == ((), ("CVE-2024-3400",))


def test_text_is_cleaned_once_and_links_must_be_web_addresses() -> None:
    item = normalize(_item(title="\x1b[2JTitle\u202e [b]x[/b]", link="javascript:alert(1)", summary="a\x00b"),
                     default_severity=Severity.MEDIUM, zone=HANOI)
    assert item.title == "Title [b]x[/b]"
    assert item.link == ""
    assert item.summary == "ab"


def test_content_hash_changes_with_content_only() -> None:
    a = normalize(_item(summary="one"), default_severity=Severity.MEDIUM, zone=HANOI)
    b = normalize(_item(summary="one"), default_severity=Severity.MEDIUM, zone=HANOI)
    c = normalize(_item(summary="two"), default_severity=Severity.MEDIUM, zone=HANOI)
    assert a.content_hash == b.content_hash != c.content_hash
