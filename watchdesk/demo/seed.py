"""A small, realistic desk for the demo and the desk's tests (deterministic for a given clock).

The night of the first day of Tết 2026 (17/02/2026 02:00, Hanoi): a watch period under a
directive, six officers with Vietnamese names on a roster at three levels, and the last day's
warnings in every state — resolved, acknowledged, snoozed, assigned, escalated, exhausted,
joined to a related one, and one critical alert that arrived four minutes ago and escalates
to level 2 a minute after the desk opens. Everything goes through the services (ingest,
lifecycle, escalation, roster), so the audit log tells the same story as the board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from collections.abc import Callable
from typing import Protocol

from watchdesk.core.enums import Severity
from watchdesk.core.records import Actor
from watchdesk.feeds.items import RawItem
from watchdesk.feeds.normalize import normalize
from watchdesk.services import handover, lifecycle, periods, roster
from watchdesk.services.escalation import escalate_due
from watchdesk.services.ingest import ingest_items
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.runtime import Runtime

PERIOD = "Tết Bính Ngọ 2026"
DIRECTIVE = "5644/BTTTT-CATTT"

OFFICERS = (  # handle, full name, role
    ("minh", "Nguyễn Văn Minh", "supervisor"),
    ("lan", "Trần Thị Lan", "lead"),
    ("huy", "Đỗ Quang Huy", "lead"),
    ("hung", "Lê Văn Hùng", "officer"),
    ("thu", "Phạm Thị Thu", "officer"),
    ("mai", "Vũ Thị Mai", "officer"),
)


class MovableClock(Protocol):
    def now(self) -> datetime: ...
    def set(self, when: datetime) -> None: ...
    def fast_forward(self, delta: timedelta | float) -> datetime: ...


@dataclass(frozen=True)
class Warning:
    key: str
    source: str
    title: str
    summary: str
    severity: str
    cves: tuple[str, ...] = ()
    link: str = ""


WARNINGS = (
    Warning("botnet-2026-01", "khonggianmang", "Danh sách địa chỉ IP botnet tháng 01/2026",
            "Cục An toàn thông tin công bố danh sách địa chỉ IP thuộc mạng botnet tại Việt Nam trong tháng 01/2026. "
            "Đề nghị các đơn vị rà soát, ngăn chặn kết nối tới các địa chỉ này.", "trung bình",
            link="https://khonggianmang.vn/canhbaoattt/botnet-2026-01"),
    Warning("kev-ivanti", "cisa-kev", "Ivanti Connect Secure command injection (CVE-2024-21887)",
            "CISA added CVE-2024-21887 to the Known Exploited Vulnerabilities catalog. Apply mitigations per vendor "
            "instructions or discontinue use of the product.", "critical", ("CVE-2024-21887",),
            "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"),
    Warning("apt-tet", "khonggianmang", "Chiến dịch tấn công APT nhắm vào cơ quan nhà nước dịp Tết Nguyên đán",
            "Phát hiện chiến dịch tấn công có chủ đích (APT) gửi thư điện tử chúc Tết giả mạo kèm tệp đính kèm độc hại. "
            "Mức độ: cao. Đề nghị cảnh giác với thư điện tử lạ.", "cao",
            link="https://khonggianmang.vn/canhbaoattt/apt-tet-2026"),
    Warning("tomcat", "khonggianmang", "Cảnh báo lỗ hổng trong Apache Tomcat (CVE-2025-24813)",
            "Lỗ hổng cho phép thực thi mã từ xa trên máy chủ Apache Tomcat. Mức độ: cao. Điểm CVSS: 9,8.", "cao",
            ("CVE-2025-24813",), "https://khonggianmang.vn/canhbaoattt/tomcat-2025-24813"),
    Warning("exchange", "khonggianmang", "Lỗ hổng nghiêm trọng trong Microsoft Exchange Server (CVE-2024-21410)",
            "Lỗ hổng leo thang đặc quyền trong Microsoft Exchange Server đang bị khai thác. Mức độ: nghiêm trọng.",
            "nghiêm trọng", ("CVE-2024-21410",), "https://khonggianmang.vn/canhbaoattt/exchange-2024-21410"),
    Warning("phishing-dvc", "khonggianmang", "Cảnh báo chiến dịch lừa đảo giả mạo Cổng Dịch vụ công quốc gia",
            "Các đối tượng giả mạo Cổng Dịch vụ công gửi tin nhắn yêu cầu cập nhật thông tin định danh. Mức độ: trung bình.",
            "trung bình", link="https://khonggianmang.vn/canhbaoattt/lua-dao-dvc"),
    Warning("nvd-openssl", "nvd", "CVE-2026-0101: OpenSSL denial of service in certificate parsing",
            "A crafted certificate can make OpenSSL read past a buffer while parsing, ending the process.", "low",
            ("CVE-2026-0101",), "https://nvd.nist.gov/vuln/detail/CVE-2026-0101"),
    Warning("fortios", "khonggianmang", "Cảnh báo lỗ hổng bảo mật nghiêm trọng trong Fortinet FortiOS (CVE-2024-21762)",
            "Lỗ hổng ghi ngoài giới hạn trong SSL VPN của FortiOS cho phép thực thi mã từ xa không cần xác thực. "
            "Mức độ: nghiêm trọng. Đề nghị cập nhật bản vá ngay.", "nghiêm trọng", ("CVE-2024-21762",),
            "https://khonggianmang.vn/canhbaoattt/fortios-2024-21762"),
    Warning("kev-fortios", "cisa-kev", "Fortinet FortiOS out-of-bound write (CVE-2024-21762)",
            "CISA added CVE-2024-21762 to the KEV catalog.", "critical", ("CVE-2024-21762",),
            "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"),
)


def _arrive(rt: Runtime, w: Warning) -> int:
    raw = RawItem(native_id=w.key, link=w.link, title=w.title, summary=w.summary, severity=w.severity, cves=w.cves)
    item = normalize(raw, default_severity=Severity.MEDIUM, zone=rt.zone)
    report = ingest_items(rt, w.source, [item])
    return (report.new or [j for j, _parent in report.joined] or report.updated)[0]


def seed_desk(rt: Runtime, clock: MovableClock) -> dict[str, int]:
    """Fill an empty database; the clock ends where it started. Returns alert ids by warning key."""
    end = clock.now()
    local_end = end.astimezone(rt.zone)
    clock.set(end - timedelta(hours=26))
    bootstrap_supervisor(rt, *OFFICERS[0][:2], demo=True)  # the throwaway demo: officers without PINs
    boss = sign_in(rt, "minh", None)
    for handle, name, role in OFFICERS[1:]:
        add_officer(rt, boss, handle, name, role, phone="09120000" + str(10 + OFFICERS.index((handle, name, role))))
    people: dict[str, Actor] = {h: sign_in(rt, h, None) for h, _n, _r in OFFICERS}

    # The watch: from the evening before the first day off to the morning after the last.
    day1 = local_end.replace(hour=0, minute=0, second=0, microsecond=0)
    start = (day1 - timedelta(days=4)).replace(hour=17)
    stop = (day1 + timedelta(days=6)).replace(hour=8)
    periods.add_period(rt, boss, PERIOD, start, stop, DIRECTIVE, "Trực 24/7 theo công văn; báo cáo ngay sự cố nghiêm trọng.")
    roster.generate(rt, boss, PERIOD, 1, "2x12@07:30", ["hung", "thu", "mai"])
    roster.generate(rt, boss, PERIOD, 2, "24h@07:30", ["lan", "huy"])
    roster.generate(rt, boss, PERIOD, 3, "24h@07:30", ["minh"])

    ids: dict[str, int] = {}
    by_key = {w.key: w for w in WARNINGS}

    # The roster's own chores as the day went by: each officer checked in when their shift
    # began, and each level-1 shift change was signed out and accepted (so the demo opens on
    # a desk that kept its roll calls and handovers, not on a flood of missed ones).
    chores: list[tuple[datetime, Callable[[], object]]] = []
    segments = roster.effective_shifts(rt, end - timedelta(hours=26), end + timedelta(minutes=1))
    for seg in segments:
        if end - timedelta(hours=26) <= seg.start <= end:
            when = seg.start + timedelta(minutes=2)
            chores.append((when, lambda seg=seg, when=when: roster.checkin(rt, people[seg.officer], at=when)))
        if seg.level == 1 and end - timedelta(hours=26) <= seg.end <= end - timedelta(minutes=10):
            incoming = next((n for n in segments if n.level == 1 and n.start == seg.end), None)
            if incoming is not None:
                chores.append((seg.end + timedelta(minutes=3), lambda seg=seg: handover.sign_out(
                    rt, people[seg.officer], "Bàn giao đầy đủ; xem các cảnh báo còn mở.", shift_id=seg.span.id)))
                chores.append((seg.end + timedelta(minutes=6), lambda seg=seg, inc=incoming: handover.accept(
                    rt, people[inc.officer], "Đã nhận ca.", shift_id=seg.span.id)))
    chores.sort(key=lambda c: c[0])

    def at(offset: timedelta) -> None:
        target = end - offset
        while chores and chores[0][0] <= target:
            when, chore = chores.pop(0)
            clock.set(when)
            chore()
        clock.set(target)
        escalate_due(rt)

    at(timedelta(hours=24))
    ids["botnet-2026-01"] = _arrive(rt, by_key["botnet-2026-01"])
    at(timedelta(hours=23, minutes=52))
    lifecycle.acknowledge(rt, people["hung"], ids["botnet-2026-01"])
    at(timedelta(hours=22))
    lifecycle.resolve(rt, people["hung"], ids["botnet-2026-01"], "Đã chặn 1.284 địa chỉ IP trên tường lửa biên; không thấy kết nối từ mạng nội bộ.")

    at(timedelta(hours=6))
    ids["kev-ivanti"] = _arrive(rt, by_key["kev-ivanti"])
    at(timedelta(hours=5, minutes=57))
    lifecycle.acknowledge(rt, people["thu"], ids["kev-ivanti"])
    at(timedelta(hours=5))
    lifecycle.resolve(rt, people["lan"], ids["kev-ivanti"], "Đơn vị không dùng Ivanti Connect Secure; đã kiểm tra danh mục tài sản.")

    at(timedelta(hours=4))
    ids["tomcat"] = _arrive(rt, by_key["tomcat"])  # assigned, never acknowledged: escalation runs out
    at(timedelta(hours=3, minutes=55))
    lifecycle.assign(rt, people["lan"], ids["tomcat"], "thu")

    at(timedelta(hours=2))
    ids["apt-tet"] = _arrive(rt, by_key["apt-tet"])
    at(timedelta(hours=1, minutes=48))
    lifecycle.acknowledge(rt, people["hung"], ids["apt-tet"])
    lifecycle.add_note(rt, people["hung"], ids["apt-tet"], "Đã gửi cảnh báo tới toàn bộ cán bộ qua thư nội bộ; đang rà soát nhật ký máy chủ thư.")


    at(timedelta(minutes=40))
    ids["exchange"] = _arrive(rt, by_key["exchange"])

    at(timedelta(minutes=25))
    ids["phishing-dvc"] = _arrive(rt, by_key["phishing-dvc"])
    at(timedelta(minutes=23))
    lifecycle.snooze(rt, people["hung"], ids["phishing-dvc"], timedelta(hours=1), "Chờ Trung tâm Dịch vụ công xác nhận mẫu tin nhắn.")

    at(timedelta(minutes=10))
    ids["nvd-openssl"] = _arrive(rt, by_key["nvd-openssl"])
    at(timedelta(minutes=8))
    lifecycle.escalate(rt, people["lan"], ids["nvd-openssl"], "Cần trưởng ca xem phiên bản OpenSSL trên cổng thông tin.")

    at(timedelta(minutes=4))
    ids["fortios"] = _arrive(rt, by_key["fortios"])
    at(timedelta(minutes=3))
    ids["kev-fortios"] = _arrive(rt, by_key["kev-fortios"])  # joins the FortiOS alert (same CVE)
    at(timedelta(0))
    return ids
