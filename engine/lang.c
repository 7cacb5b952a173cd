/* lang.c — Vietnamese and English words for charts and reports, and number
 * formatting by language. Verdict bands are the README's. */
#include "lang.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const cov_lang VI = {
    "vi", ',', '.',
    "Tỷ lệ bao phủ BHYT (%)", "Tháng", "Trung vị", "Khoảng 50%", "Khoảng 90%", "Số liệu báo cáo",
    "Chỉ tiêu %s ≥ %s đến %s: xác suất đạt %s (%s–%s)",
    "Ngưỡng tỷ lệ bao phủ (%)", "Xác suất đạt chỉ tiêu", "Số thẻ BHYT còn thiếu hiện nay",
    "%s: số thẻ còn thiếu để đạt %s đến %s",
    "Xác suất đạt chỉ tiêu",
    "%s: xác suất tỷ lệ bao phủ ≥ x vào %s",
    "Xác suất tỷ lệ bao phủ ≥ x",
    "%s: so sánh các kịch bản (trung vị và khoảng 90%%)",
    "Xác suất đạt chỉ tiêu theo kịch bản (khoảng tin cậy 95%)",
    "%s: xác suất đạt chỉ tiêu theo %s",
    "Xác suất đạt chỉ tiêu",
    { "rất có khả năng đạt", "có khả năng đạt", "khả năng ngang nhau", "khó đạt", "rất khó đạt" },
    "Báo cáo dự báo tỷ lệ bao phủ BHYT",
    "Dự báo theo từng tháng bằng mô phỏng Monte Carlo: mỗi lần mô phỏng là một tương lai có thể xảy ra; "
    "xác suất là tỷ lệ số tương lai đạt chỉ tiêu.",
    "Đơn vị", "Cấp", "Chỉ tiêu", "Hạn", "Xác suất đạt (khoảng 95%)", "Đánh giá",
    "Trung vị tại hạn", "Số thẻ còn thiếu hiện nay", "Số thẻ còn thiếu tại hạn (trung vị)",
    "Lập bằng covcast", "Cách đọc",
    "Biểu đồ",
    "rất có khả năng: ≥ 0,90; có khả năng: 0,66–0,90; ngang nhau: 0,33–0,66; khó đạt: 0,10–0,33; rất khó đạt: < 0,10.",
    "không có người (không có xác suất)",
    "Tất cả các xã, phường",
    "Trung vị của phương án gốc",
};

static const cov_lang EN = {
    "en", '.', ',',
    "BHYT coverage (%)", "Month", "Median", "50% band", "90% band", "Reported",
    "Target %s ≥ %s by %s: probability %s (%s–%s)",
    "Coverage threshold (%)", "Probability of reaching the target", "Health-insurance cards needed now",
    "%s: cards needed now for %s by %s",
    "Probability of reaching the target",
    "%s: probability that coverage ≥ x in %s",
    "Probability that coverage ≥ x",
    "%s: scenarios compared (median and 90%% band)",
    "Probability of each target by scenario (95% interval)",
    "%s: probability of the target against %s",
    "Probability of reaching the target",
    { "very likely", "likely", "about even", "unlikely", "very unlikely" },
    "Health-insurance coverage forecast",
    "Month-by-month projection by Monte Carlo simulation: each replicate is one possible future; "
    "a probability is the share of futures in which the target is reached.",
    "Unit", "Level", "Target", "Deadline", "Probability (95% interval)", "Verdict",
    "Median at deadline", "Cards needed now", "Median cards short at deadline",
    "Made with covcast", "How to read it",
    "Charts",
    "very likely: ≥ 0.90; likely: 0.66–0.90; about even: 0.33–0.66; unlikely: 0.10–0.33; very unlikely: < 0.10.",
    "no people (no probability)",
    "All communes",
    "Baseline median",
};

const cov_lang *cov_lang_get(const char *code)
{
    if (!code || !strcmp(code, "vi")) return &VI;
    if (!strcmp(code, "en")) return &EN;
    return NULL;
}

int cov_verdict(double p)
{
    return p >= 0.90 ? 0 : p >= 0.66 ? 1 : p > 0.33 ? 2 : p > 0.10 ? 3 : 4;
}

void cov_fmt_num(const cov_lang *L, double v, int digits, char *buf, size_t n)
{
    snprintf(buf, n, "%.*f", digits, v);
    for (char *p = buf; *p; p++)
        if (*p == '.') *p = L->decimal;
}

void cov_fmt_int(const cov_lang *L, long long v, char *buf, size_t n)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t len = strlen(raw), j = 0;
    if (v < 0 && j + 1 < n) buf[j++] = '-';
    for (size_t i = 0; i < len && j + 2 < n; i++) {
        buf[j++] = raw[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len) buf[j++] = L->thousands;
    }
    buf[j] = '\0';
}

void cov_fmt_pct(const cov_lang *L, double v, char *buf, size_t n)
{
    long h = lround(v * 100);
    char t[32];
    cov_fmt_num(L, (double)h / 100.0, h % 100 == 0 ? 0 : h % 10 == 0 ? 1 : 2, t, sizeof t);
    snprintf(buf, n, "%.30s%%", t);
}

void cov_fmt_month(const char *ym, char *buf, size_t n)
{
    if (strlen(ym) == 7 && ym[4] == '-') snprintf(buf, n, "%.2s/%.4s", ym + 5, ym);
    else snprintf(buf, n, "%s", ym);
}
