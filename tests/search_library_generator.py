"""Generated quick-reply libraries for search tests: Chinese, English and mixed entries, with look-alikes that
tie on most scores (the same title with a number after it, plurals, typos, shared words in other fields)."""

from __future__ import annotations

import random

from quick_replies.library import FaqEntry, Library, QuickReply

ZH = ("退款 物流 快递 发货 订单 地址 还款 重复 银行 登录 安卓 无法 延迟 签收 尺码 发票 优惠券 会员 破损 状态 "
      "行李 长期 南方 服务 申请 进度 修改").split()
EN = ("refund refunds status order delivery address adress return exchange invoice android login cancel "
      "shipping review policy damaged change").split()
GLUE = list("的了在是我您请")
LOOK_ALIKES = ["Refund status", "refund status {n}", "Refund statuses", "Change address", "change address {n}",
               "退款状态", "退款状态 {n}", "退款 状态查询", "VIP退款", "破损补发", "Refund", "refund {n}"]


def generated_library(count: int, seed: int) -> Library:
    rng = random.Random(seed)
    library = Library()
    for n in range(count):
        shape = n % 4
        if shape == 0:
            title = rng.choice(LOOK_ALIKES).format(n=rng.randint(1000, 9999))
        elif shape == 1:
            title = "".join(rng.choice(ZH) for _ in range(rng.randint(1, 4)))
        elif shape == 2:
            title = " ".join(rng.choice(EN) for _ in range(rng.randint(1, 3))).capitalize()
        else:
            title = rng.choice(ZH) + rng.choice(EN) + rng.choice(["", " ", "-"]) + rng.choice(ZH)
        body_words = ZH + EN + GLUE + ["VIP", "e-mail", "24h", "DD20261120553"]
        body = "".join(rng.choice(body_words) + rng.choice(["", " ", "，"]) for _ in range(rng.randint(3, 16)))
        if n % 9 == 0:
            library.faqs.append(FaqEntry(f"{title}？", body, (rng.choice(ZH + EN),), "faq", id=f"f{n}"))
        else:
            library.replies[f"r{n}"] = QuickReply(f"r{n}", title, body, f"folder{n % 5}", "zh",
                                                  f"c{n}" if n % 5 == 0 else "", (rng.choice(ZH + EN),))
        library.layers[f"r{n}" if n % 9 else f"f{n}"] = n % 3
    return library


QUERIES = ["Refund status", "refund", "refund status", "adress", "退款", "退款状态", "tuikuan", "tk", "poshun",
           "tuikaun", "refnud", "posun", "lanfang", "huwu", "tui", "r", "t", "rs", "refund 2", "物流 kd", "c10",
           "e-mail", "vip", "dd2026", "zhuangtai", "zt", "退k", "状态？", "xyzzy"]


def typed(query: str) -> list[str]:
    return [query[: i + 1] for i in range(len(query)) if query[: i + 1].strip()]
