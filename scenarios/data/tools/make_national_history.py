#!/usr/bin/env python3
"""make_national_history.py — the published national BHYT coverage series as a
covcast history (scenarios/data/vietnam-national-history.csv).

Input: raw/bhyt_national_coverage_series.csv (copied unchanged from the
project's shared raw data; each row names its source: VSS or the Ministry of
Health, relayed by the press).

Rules, stated so that the file can be checked by hand:
- Only points with a reported month are used (bare years have no date within
  the year), from May 2010 on: before it coverage grew by law (the 2008 Law on
  Health Insurance, in force 2009), not by the monthly chain the model describes.
- Where the row gives both the coverage and the people insured, population =
  insured / coverage (this mixes VSS and MOH denominators, as the published
  figures do).
- Where it gives only one of the two (2016-12: coverage only; 2021-12: people
  insured only, itself derived by the source), the population is interpolated
  linearly in time between the two neighbouring derived populations, and the
  missing figure follows from it.
- 2022-11 is an estimate announced in December for the whole year and is
  superseded by the final 2022 figure (2022-12): it is left out.
Output columns: commune,month,population,insured (one series, "Việt Nam").
"""
import csv, os

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "..", "raw", "bhyt_national_coverage_series.csv")
dst = os.path.join(here, "..", "vietnam-national-history.csv")

def month_index(m):
    y, mo = m.split("-")
    return int(y) * 12 + int(mo) - 1

points = []
with open(src, encoding="utf-8") as f:
    for r in csv.DictReader(f):
        d = r["date"]
        if len(d) != 7 or d < "2010-05" or d == "2022-11":
            continue
        cov = float(r["coverage_pct"]) / 100 if r["coverage_pct"] else None
        ins = float(r["insured_millions"]) * 1e6 if r["insured_millions"] else None
        points.append([d, cov, ins])
for p in points:
    p.append(p[2] / p[1] if p[1] and p[2] else None)
for i, p in enumerate(points):
    if p[3] is None:
        a = max(j for j in range(i) if points[j][3])
        b = min(j for j in range(i + 1, len(points)) if points[j][3])
        t = (month_index(p[0]) - month_index(points[a][0])) / (month_index(points[b][0]) - month_index(points[a][0]))
        p[3] = points[a][3] + t * (points[b][3] - points[a][3])
        if p[2] is None:
            p[2] = p[1] * p[3]
with open(dst, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["commune", "month", "population", "insured"])
    for d, cov, ins, pop in points:
        w.writerow(["Việt Nam", d, round(pop), round(ins)])
print(f"{dst}: {len(points)} points")
