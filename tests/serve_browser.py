#!/usr/bin/python3
"""serve_browser.py — the page of `covcast serve` in headless Chromium
(Debian's python3-selenium and chromium-driver): pick Nam Trực, raise the
peak campaign's multiplier and see the district's P rise and the fan chart
change, pin a baseline and see the paired difference, solve from the page
(what it would take), a copied address that reopens the same scenario
(the address bar holds it), the downloads (scenario, CSV files, the
gnuplot charts and the report) and the page's fan chart against the
numbers of gnuplot's .dat for the same run, a screenshot in each
language, no console errors, Vietnamese names intact.

    serve_browser.py COVCAST OUTDIR

The server is started on a free port of 127.0.0.1 and always stopped.
Prints "serve: N passed, M failed"."""
import os
import re
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

covcast, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
passed = failed = 0


def check(cond, msg):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAILED serve: browser: " + msg)


server = subprocess.Popen([covcast, "serve", "scenarios", "--listen", "127.0.0.1:0", "--threads", "2", "--quiet"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
driver = None
try:
    line = server.stdout.readline()
    m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    if not m:
        raise SystemExit("FAILED serve: browser: the server did not start: " + line)
    url = m.group(1) + "/"
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1900",
              "--lang=vi", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(60)
    driver.get(url)

    def wait(cond, what, timeout=60):
        t = time.time()
        while time.time() - t < timeout:
            try:
                v = cond()
                if v:
                    return v
            except Exception:
                pass
            time.sleep(0.05)
        check(False, "timed out waiting for " + what)
        return None

    def final_state():
        return (driver.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done"
                and driver.find_element(By.ID, "status").get_attribute("data-final") == "1")

    def district_p():
        cell = driver.find_element(By.CSS_SELECTOR, 'tr[data-target="year-end"][data-unit="Huyện Nam Trực"] td.p')
        return float(cell.text.replace(",", "."))

    def median_points():
        return driver.find_element(By.CSS_SELECTOR, '#fan polyline[data-role="median"]').get_attribute("points")

    def set_multiplier(v):
        box = driver.find_element(By.CSS_SELECTOR, 'input[data-sec="campaign.peak"][data-key="enroll_multiplier"]')
        box.clear()
        box.send_keys(v)

    wait(lambda: len(Select(driver.find_element(By.ID, "scenario")).options) > 1, "the scenario list")
    Select(driver.find_element(By.ID, "scenario")).select_by_value("nam-truc-2018.ini")
    wait(final_state, "the first answer")
    p0 = district_p()
    fan0 = median_points()
    reps = driver.find_element(By.ID, "status").get_attribute("data-replicates")
    check(reps == "2000", "the page says it shows 2000 replicates (%s)" % reps)
    check("2.000" in driver.find_element(By.ID, "status").text, "the status reads 2.000 replicates in Vietnamese")
    body = driver.find_element(By.TAG_NAME, "body").text
    check("Huyện Nam Trực" in body and "Đồng Sơn" in body and "Hồng Quang" in body, "Vietnamese names intact on the page")
    # the commune list ignores diacritics
    search = driver.find_element(By.CSS_SELECTOR, '.picker[data-sec="campaign.peak"] input[data-role="search"]')
    search.send_keys("dong son")
    shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '.picker[data-sec="campaign.peak"] .list label')
             if e.is_displayed()]
    check(shown == ["Đồng Sơn"], "searching 'dong son' finds Đồng Sơn only: %s" % shown)

    set_multiplier("6")
    wait(lambda: final_state() and district_p() != p0, "the answer to a stronger campaign")
    p1 = district_p()
    check(p1 > p0, "a stronger peak campaign raises the district's P: %.3f -> %.3f" % (p0, p1))
    check(median_points() != fan0, "the fan chart changes")
    first_ms = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-first-ms") or 0)
    full_ms = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-full-ms") or 0)
    print("serve browser: first answer %d ms, full 2,000 replicates %d ms after the edit (debounce 250 ms not included)"
          % (first_ms, full_ms))

    # the address bar holds the scenario: the copied link, opened afresh, shows the same scenario and answer
    link = driver.current_url
    check("#" in link and "f=nam-truc-2018.ini" in link and "s=" in link and len(link) < 600,
          "the address holds the edited scenario compactly (%d characters): %s" % (len(link), link))
    print("serve browser: the address of the edited scenario has %d characters" % len(link))
    driver.get("about:blank")
    driver.get(link)
    wait(lambda: final_state() and driver.find_element(
        By.CSS_SELECTOR, 'input[data-sec="campaign.peak"][data-key="enroll_multiplier"]').get_attribute("value") == "6",
        "the scenario of the copied address")
    again = driver.find_element(By.CSS_SELECTOR, 'input[data-sec="campaign.peak"][data-key="enroll_multiplier"]')
    check(again.get_attribute("value") == "6", "the copied address reopens the edited multiplier")
    check(district_p() == p1, "the copied address gives the same answer (same seed): %.4f and %.4f" % (district_p(), p1))
    check(Select(driver.find_element(By.ID, "scenario")).first_selected_option.get_attribute("value") == "nam-truc-2018.ini",
          "the copied address picks the same shipped scenario")
    # a cut link says so, in the page
    driver.get("about:blank")
    driver.get(link[:link.index("s=") + 12])
    wait(lambda: driver.find_element(By.ID, "errors").is_displayed(), "the message of a cut link")
    check("địa chỉ" in driver.find_element(By.ID, "errors").text, "a cut link is reported in the page: %r"
          % driver.find_element(By.ID, "errors").text)
    driver.get("about:blank")
    driver.get(link)
    wait(final_state, "the copied address again")

    # a crafted link: names and values that are HTML or script are shown as text, never run or made elements
    import base64
    import json
    payload = {"c": {"target.<u>pwn</u>": [["level", "district"], ["unit", "<img src=x onerror=document.title='PWNED'>"],
                                          ["threshold", "85"], ["deadline", "2018-12"]],
                     "campaign.peak": [["months", "2018-06..2018-08"], ["enroll_multiplier", "<svg onload=alert(1)>"]]}}
    crafted = url + "#f=nam-truc-2018.ini&s=j" + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    driver.get("about:blank")
    driver.get(crafted)
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, 'div.section[data-sec="target.<u>pwn</u>"]')
         and driver.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("failed", "done"), "the crafted link's page")
    time.sleep(0.5)
    check(driver.execute_script("return document.querySelectorAll('u, img, #edit svg').length") == 0
          and driver.title != "PWNED", "a crafted link's names and values make no element and run no script (title %r)"
          % driver.title)
    check("<u>pwn</u>" in driver.find_element(By.TAG_NAME, "body").text, "the crafted name is shown as text")
    # a crafted link that inflates to about 1 GB: the page gives up past 4 MiB and says so, and stays alive
    import zlib
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"a" * (1 << 20)
    bomb = [comp.compress(b'{"c":{"run":[["name","')]
    for _ in range(1000):
        bomb.append(comp.compress(chunk))
    bomb.append(comp.compress(b'"]]}}'))
    bomb.append(comp.flush())
    bomb = b"".join(bomb)
    driver.get("about:blank")
    t_bomb = time.time()
    driver.get(url + "#f=nam-truc-2018.ini&s=z" + base64.urlsafe_b64encode(bomb).decode().rstrip("="))
    said = wait(lambda: driver.find_element(By.ID, "errors").is_displayed() and driver.find_element(By.ID, "errors").text,
                "the message of a link that inflates to 1 GB", 60)
    t_bomb = time.time() - t_bomb
    check(said and "4 MiB" in said, "a link of %d kB that inflates to 1 GB is refused by the page in %.1f s: %r"
          % (len(bomb) // 1024, t_bomb, said))
    print("serve browser: a link of %d kB that inflates to 1 GB refused in %.1f s" % (len(bomb) // 1024, t_bomb))
    driver.get("about:blank")
    driver.get(link)
    wait(final_state, "the copied address once more")

    # take it away: the run's files, its charts as covcast plot draws them, the report
    def fetch(href):
        with urllib.request.urlopen(href, timeout=60) as r:
            return r.status, r.headers.get("Content-Disposition", ""), r.read()
    job = driver.find_element(By.TAG_NAME, "body").get_attribute("data-job")
    for ident, name, has in (("export", "scenario.ini", b"[campaign.peak]"), ("targets-csv", "targets.csv", b"year-end,district"),
                             ("dl-trajectories", "trajectories.csv", b"coverage_p50"), ("dl-first", "first_reached.csv", b""),
                             ("dl-exceedance", "exceedance.csv", b""), ("dl-runjson", "run.json", b"{")):
        a = driver.find_element(By.ID, ident)
        code, disp, data = fetch(a.get_attribute("href"))
        check(a.is_displayed() and code == 200 and name in disp and has in data and len(data) > 10,
              "the page's link %s gives %s (%d, %r)" % (ident, name, code, disp))
    code, disp, data = fetch(driver.find_element(By.ID, "report").get_attribute("href"))
    check(code == 200 and "report.html" in disp and b"<html" in data and "Huyện Nam Trực".encode() in data and b"<svg" in data,
          "the report link gives report.html with its charts (%d bytes)" % len(data))
    driver.find_element(By.ID, "charts-go").click()
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, '#chart-links a[data-chart="fan-district-huyen-nam-truc.svg"]'),
         "the chart links")
    links = driver.find_elements(By.CSS_SELECTOR, "#chart-links a")
    check(len(links) >= 3, "the gnuplot charts are listed: %s" % [x.text for x in links])
    fan = driver.find_element(By.CSS_SELECTOR, '#chart-links a[data-chart="fan-district-huyen-nam-truc.svg"]').get_attribute("href")
    code, disp, data = fetch(fan)
    check(code == 200 and b"<svg" in data and "Huyện Nam Trực".encode() in data, "the district's fan chart is an SVG from gnuplot")
    # the page's fan chart and gnuplot's agree: the numbers the page drew are those of the chart's .dat
    Select(driver.find_element(By.ID, "focus")).select_by_visible_text("Huyện Nam Trực (district)")
    drawn = driver.find_element(By.CSS_SELECTOR, '#fan polyline[data-role="median"]').get_attribute("data-values")
    code, disp, dat = fetch(fan.replace(".svg", ".dat"))
    rows = [ln.split(",") for ln in dat.decode().splitlines() if ln and not ln.startswith("#")]
    page = [[float(v) for v in m.split(" ")] for m in (drawn or "").split(";") if m]
    check(code == 200 and len(rows) == 13 and len(page) == 13
          and all([float(v) for v in r[1:]] == q for r, q in zip(rows, page)),
          "the page's fan (5 quantiles x 13 months) equals gnuplot's .dat for run %s" % job)
    # a commune in focus: the page's fan is the commune's, and the charts button draws its gnuplot chart too
    Select(driver.find_element(By.ID, "focus")).select_by_visible_text("Đồng Sơn (commune)")
    drawn = driver.find_element(By.CSS_SELECTOR, '#fan polyline[data-role="median"]').get_attribute("data-values")
    driver.find_element(By.ID, "charts-go").click()
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, '#chart-links a[data-chart="fan-commune-dong-son.svg"]'),
         "the commune's chart link")
    links = driver.find_elements(By.CSS_SELECTOR, '#chart-links a[data-chart="fan-commune-dong-son.svg"]')
    cfan = links[0].get_attribute("href") if links else ""
    code, disp, data = fetch(cfan) if cfan else (0, "", b"")
    check(code == 200 and b"<svg" in data and "Đồng Sơn".encode() in data, "the commune's fan chart from gnuplot (%d)" % code)
    code, disp, dat = fetch(cfan.replace(".svg", ".dat")) if cfan else (0, "", b"")
    rows = [ln.split(",") for ln in dat.decode().splitlines() if ln and not ln.startswith("#")]
    page = [[float(v) for v in m.split(" ")] for m in (drawn or "").split(";") if m]
    check(code == 200 and len(rows) == 13 and len(page) == 13
          and all(abs(float(v) - w) < 1e-3 for r, q in zip(rows, page) for v, w in zip(r[1:6], q)),
          "the page's fan of Đồng Sơn equals gnuplot's .dat of the commune")
    Select(driver.find_element(By.ID, "focus")).select_by_visible_text("Huyện Nam Trực (district)")


    driver.find_element(By.ID, "pin").click()
    wait(lambda: final_state() and "paired" in driver.find_element(By.ID, "targets").get_attribute("class"),
         "the pinned baseline")
    set_multiplier("9")

    def settled_diff():
        # the final answer to the last edit: clearing the box is an edit too, and its answer may come first;
        # an answer is the last one when no new run starts within a second (the page waits 250 ms after typing)
        if not (final_state() and district_p() != p1):
            return None
        cell = 'tr[data-target="year-end"][data-unit="Huyện Nam Trực"] td.diff'
        first = driver.find_element(By.CSS_SELECTOR, cell).text
        time.sleep(1.0)
        return first if final_state() and driver.find_element(By.CSS_SELECTOR, cell).text == first else None
    diff = wait(settled_diff, "the answer against the baseline")
    check(re.match(r"^\+0,\d{3} \(0,\d{3}\)$", diff) is not None, "the paired difference and its standard error: %r" % diff)
    check(len(driver.find_elements(By.CSS_SELECTOR, '#fan polyline[data-role="baseline"]')) == 1,
          "the baseline's median beside the fan")
    # the pinned baseline is in the address too: a copied link reopens the comparison, the same paired difference
    link2 = driver.current_url
    check("b=" in link2 and "s=" in link2, "the address holds the pinned baseline: %s" % link2)
    print("serve browser: the address with a pinned baseline has %d characters" % len(link2))
    driver.get("about:blank")
    driver.get(link2)

    def diff_again():   # settled, as above: the page may answer more than once while it reopens the link
        def paired():
            return final_state() and "paired" in driver.find_element(By.ID, "targets").get_attribute("class")
        if not paired():
            return None
        cell = 'tr[data-target="year-end"][data-unit="Huyện Nam Trực"] td.diff'
        first = driver.find_element(By.CSS_SELECTOR, cell).text
        time.sleep(1.0)
        return first if paired() and driver.find_element(By.CSS_SELECTOR, cell).text == first else None
    d2 = wait(diff_again, "the comparison of the copied address", 120)
    check(d2 == diff, "the copied address reopens the comparison: %r and %r" % (d2, diff))
    check(driver.find_element(By.CSS_SELECTOR, 'input[data-sec="campaign.peak"][data-key="enroll_multiplier"]')
          .get_attribute("value") == "9" and len(driver.find_elements(By.CSS_SELECTOR, '#fan polyline[data-role="baseline"]')) == 1,
          "with the edited multiplier and the baseline's median")
    # what it would take: solve from the page, progress, then the table
    Select(driver.find_element(By.ID, "ask-target")).select_by_value("year-end")
    Select(driver.find_element(By.ID, "ask-lever")).select_by_value("campaign.peak.enroll_multiplier")
    driver.find_element(By.ID, "ask-range").send_keys("1..20")
    driver.find_element(By.ID, "ask-go").click()
    seen = []   # the progress the page shows while it solves: a fraction and a percentage

    def solved():
        f = float(driver.find_element(By.ID, "ask").get_attribute("data-fraction") or 0)
        if driver.find_element(By.ID, "ask").get_attribute("data-state") == "running" and f > 0:
            seen.append((f, driver.find_element(By.ID, "ask-status").text))
        return driver.find_element(By.ID, "ask").get_attribute("data-state") == "done"
    wait(solved, "the solve answer", 180)
    # (the status is read just after the state: the last one read may already say done)
    check(seen and all(a[0] <= b[0] for a, b in zip(seen, seen[1:])) and any(re.search(r"\d+%", t) for f, t in seen),
          "solve's progress shows as a rising percentage: %s" % (seen[-3:] if seen else "none seen"))
    asked = driver.find_element(By.ID, "ask-table").text
    check("Huyện Nam Trực" in asked and "Giá trị cần" in asked and "campaign.peak.enroll_multiplier" in asked,
          "solve from the page: the table in Vietnamese with the district: %r" % asked)
    driver.save_screenshot(os.path.join(out, "serve-vi.png"))
    driver.find_element(By.ID, "lang-en").click()
    check("Value needed" in driver.find_element(By.CSS_SELECTOR, "#ask-table thead").text,
          "the English switch names the solve table's columns")
    head = driver.find_element(By.CSS_SELECTOR, "#targets thead").text
    check("P(reached)" in head and "Cards needed now" in head, "the English switch: %r" % head)
    check("Huyện Nam Trực" in driver.find_element(By.TAG_NAME, "body").text, "names intact in English too")
    check("lang=en" in driver.current_url, "the address holds the language")
    driver.save_screenshot(os.path.join(out, "serve-en.png"))
    # uploads of a model from the page: an error located as the command line gives it, then a good one used
    with open("models/bhyt-high.ini", encoding="utf-8") as fh:
        model = fh.read()
    bad = os.path.abspath(os.path.join(out, "bad-model.ini"))
    with open(bad, "w", encoding="utf-8") as fh:
        fh.write(model.replace("enroll = 0.", "enroll = x.", 1))
    driver.find_element(By.ID, "upload-model").send_keys(bad)
    wait(lambda: "bad-model.ini:" in driver.find_element(By.ID, "errors").text, "the located error of an uploaded model")
    err = driver.find_element(By.ID, "errors").text
    check("bad-model.ini:" in err and "^" in err and "covcast-serve-" not in err,
          "an uploaded model's error is shown located in the page: %r" % err)
    good = os.path.abspath(os.path.join(out, "high.ini"))
    with open(good, "w", encoding="utf-8") as fh:
        fh.write(model)
    job_before = driver.find_element(By.TAG_NAME, "body").get_attribute("data-job")
    p_before = district_p()
    driver.find_element(By.ID, "upload-model").send_keys(good)
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, 'span[data-file="model"]')
         and driver.find_element(By.CSS_SELECTOR, 'span[data-file="model"]').text == "high.ini", "the uploaded model in use")
    wait(lambda: final_state() and driver.find_element(By.TAG_NAME, "body").get_attribute("data-job") != job_before
         and district_p() != p_before, "the answer with the uploaded model")
    check(district_p() != p_before, "the uploaded model changes the answer: %.4f -> %.4f" % (p_before, district_p()))
    check(driver.find_element(By.ID, "errors").text.startswith("Using high.ini"), "the page says the uploaded model is used: %r"
          % driver.find_element(By.ID, "errors").text)
    # extra cards and births and deaths, added from the page with fields of their own
    for kind, sec in (("extra", "extra.new1"), ("demography", "demography")):
        job_before = driver.find_element(By.TAG_NAME, "body").get_attribute("data-job")
        driver.find_element(By.CSS_SELECTOR, 'button[data-add="%s"]' % kind).click()
        wait(lambda: final_state() and driver.find_element(By.TAG_NAME, "body").get_attribute("data-job") != job_before,
             "the answer with [%s]" % sec)
        boxes = driver.find_elements(By.CSS_SELECTOR, 'div.section[data-sec="%s"] input, div.section[data-sec="%s"] select'
                                     % (sec, sec))
        check(len(boxes) >= 3 and not driver.find_element(By.ID, "run-errors").is_displayed(),
              "[%s] added with its fields (%d) and runs without errors" % (sec, len(boxes)))
    code, disp, data = fetch(driver.find_element(By.ID, "export").get_attribute("href"))
    text = data.decode()
    check("[extra.new1]" in text and "cards = 10" in text and "[demography]" in text and "births = 0.0012" in text
          and "birth_group = state_full" in text, "the exported INI holds the added sections: %r" % text[-300:])
    for f in ("serve-vi.png", "serve-en.png"):
        with open(os.path.join(out, f), "rb") as fh:
            check(fh.read(8) == b"\x89PNG\r\n\x1a\n", f + " is a PNG")
    logs = [e for e in driver.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")]
    check(not logs, "console messages: %s" % logs)
finally:
    if driver:
        driver.quit()
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
print("serve: %d passed, %d failed" % (passed, failed))
