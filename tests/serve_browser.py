#!/usr/bin/python3
"""serve_browser.py — the page of `covcast serve` in headless Chromium
(Debian's python3-selenium and chromium-driver): pick Nam Trực, raise the
peak campaign's multiplier and see the district's P rise and the fan chart
change, pin a baseline and see the paired difference, solve from the page
(what it would take), a screenshot in each
language, no console errors, Vietnamese names intact.

    serve_browser.py COVCAST OUTDIR

The server is started on a free port of 127.0.0.1 and always stopped.
Prints "serve: N passed, M failed"."""
import os
import re
import subprocess
import sys
import time

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

    driver.find_element(By.ID, "pin").click()
    wait(lambda: final_state() and "paired" in driver.find_element(By.ID, "targets").get_attribute("class"),
         "the pinned baseline")
    set_multiplier("9")
    wait(lambda: final_state() and district_p() != p1, "the answer against the baseline")
    diff = driver.find_element(By.CSS_SELECTOR, 'tr[data-target="year-end"][data-unit="Huyện Nam Trực"] td.diff').text
    check(re.match(r"^\+0,\d{3} \(0,\d{3}\)$", diff) is not None, "the paired difference and its standard error: %r" % diff)
    check(len(driver.find_elements(By.CSS_SELECTOR, '#fan polyline[data-role="baseline"]')) == 1,
          "the baseline's median beside the fan")
    # what it would take: solve from the page, progress, then the table
    Select(driver.find_element(By.ID, "ask-target")).select_by_value("year-end")
    Select(driver.find_element(By.ID, "ask-lever")).select_by_value("campaign.peak.enroll_multiplier")
    driver.find_element(By.ID, "ask-range").send_keys("1..20")
    driver.find_element(By.ID, "ask-go").click()
    wait(lambda: driver.find_element(By.ID, "ask").get_attribute("data-state") == "done", "the solve answer", 180)
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
    driver.save_screenshot(os.path.join(out, "serve-en.png"))
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
