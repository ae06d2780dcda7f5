"""Generated feeds for scale tests and the benchmark (deterministic, Vietnamese-flavoured)."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

_KINDS = (
    ("Cảnh báo lỗ hổng bảo mật nghiêm trọng trong {p}", "Lỗ hổng CVE-2024-{n:05d} (CVSS 9,{d}) cho phép thực thi mã từ xa. Mức độ: Nghiêm trọng."),
    ("Cảnh báo chiến dịch lừa đảo giả mạo {p}", "Đối tượng giả mạo {p} để chiếm đoạt tài khoản. Mức độ: Trung bình."),
    ("Cảnh báo chiến dịch tấn công APT nhắm vào {p}", "Nhóm tấn công có chủ đích sử dụng mã độc; văn bản số {n}/CATTT-NCSC. Mức độ: Cao."),
    ("Cảnh báo lỗ hổng trong {p}", "Bản vá cho CVE-2023-{n:05d}, điểm CVSS 7,{d}."),
)
_PRODUCTS = ("FortiOS", "PAN-OS", "Microsoft Exchange", "Cisco IOS XE", "Ivanti Connect Secure", "VMware vCenter",
             "ngân hàng Vietcombank", "Cổng Dịch vụ công quốc gia", "các cơ quan nhà nước", "Zimbra")


def rss_feed(count: int, *, start: int = 0, title_suffix: str = "") -> bytes:
    """An RSS 2.0 feed of `count` distinct items (guids start-…)."""
    base = datetime(2024, 4, 1, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench</title>'
             '<link>https://example.vn/</link><description>generated</description>']
    for i in range(start, start + count):
        title, body = _KINDS[i % len(_KINDS)]
        product = _PRODUCTS[i % len(_PRODUCTS)]
        parts.append(
            "<item><title>{t}</title><link>https://example.vn/canh-bao/{i}</link><guid>item-{i}</guid>"
            "<pubDate>{d}</pubDate><description>{b}</description></item>".format(
                t=escape(title.format(p=product) + f" ({i}){title_suffix}"),
                i=i,
                d=format_datetime(base + timedelta(minutes=i)),
                b=escape("<p>" + body.format(p=product, n=i, d=i % 10) + "</p>"),
            )
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")
