#!/usr/bin/env python3
"""web_dashboard.py -- the dashboard in a real headless Chromium (issue 17, item 7).

    tests/harness/with-servers.sh tests/web_dashboard.py build/cli/kzpulse

Posts written here go to the harness's Kafka broker, `kzpulse run` counts them
into its Redis, and the dashboard is served over that Redis.  Chromium, driven
by Selenium through chromedriver, then checks:

  1. the four charts are drawn (a uPlot canvas each, with the posts' points)
     and the region table lists the posts' regions;
  2. the series moves within 5 s of new posts reaching Redis (timed from the
     moment `kzpulse query` sees them in Redis to the moment the chart does);
  3. a click on a chart point, and one on a region row, opens the sample posts
     behind it, with their evidence;
  4. a hostile post (<script>, <img onerror>) is shown as text: no element
     made from it, no script run; an alert written to the alert stream
     (kzp:v2:alerts) is listed within 5 s, its hostile text as text, its
     update on the same line, and a click opens its posts;
  5. the language switch changes the region names and is remembered across a
     reload (localStorage);
  6. the page's URL reproduces the view in a fresh browser (no localStorage);
  7. without an event stream the page polls, and still moves within 5 s;
  8. over an archive (`serve samples/posts.jsonl`), with no window in the
     URL, the page shows the archive's posts; a bad parameter is shown
     with the name the server gives it;
  9. a server with a token (--token-file): its files load without it, the
     API, the stream and /metrics do not; the page asks for the token, then
     draws, opens the stream with it (fetch) and lists a new alert within
     5 s; a reload keeps it, a wrong one is asked for again.
It saves a screenshot of the page to $KZ_BUILD_ROOT/dashboard.png, and to
docs/dashboard.png (the README's) when KZ_UPDATE_SCREENSHOT=1.

The server is `kzpulse serve --listen 127.0.0.1:PORT (--redis URL | FILE)`,
the page its embedded one.  Skipped (exit 77) only when chromium, chromium-driver or
python3-selenium is missing (tests/run.sh installs them).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
ROOT = os.environ.get("KZ_SOURCE_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def skip(why):
    print("skipped: " + why)
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
except ImportError:
    # Debian's python3-selenium is installed for Debian's python3; a python3
    # earlier on PATH (a virtualenv, pyenv) does not see it.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3") and not os.environ.get("KZ_WEB_REEXEC"):
        os.environ["KZ_WEB_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    skip("python3-selenium is not installed (apt-get install python3-selenium)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
if not CHROMIUM:
    skip("chromium is not installed (apt-get install chromium)")
if not DRIVER:
    skip("chromedriver is not installed (apt-get install chromium-driver)")

fails = 0


def ok(cond, what, detail=""):
    global fails
    if cond:
        print("ok   " + what)
    else:
        fails += 1
        print("FAIL: " + what + (": " + detail if detail else ""))
    return cond


def wait_for(fn, timeout, step=0.1):
    """fn()'s first true value within timeout seconds, else the last value."""
    end = time.monotonic() + timeout
    v = fn()
    while not v and time.monotonic() < end:
        time.sleep(step)
        v = fn()
    return v


# ---------------------------------------------------------------------------
# Posts: sentences written for this test, in Russian, Kazakh and English
# ---------------------------------------------------------------------------

TEXTS = [
    ("ru", "KZ-47", "Нефтяники Жанаозена объявили забастовку из-за зарплаты, завтра митинг у акимата."),
    ("kk", "KZ-47", "Ақтауда мұнайшылар ереуілге шықты, жалақы үш ай бойы төленбеді."),
    ("en", "KZ-75", "Oil workers in Almaty joined the strike over unpaid wages; a rally is planned."),
]
STANCE = [
    ("ru", "KZ-71", "Нет войне. Соседям сейчас тяжело, помогаем беженцам чем можем."),
    ("kk", "KZ-79", "Соғысқа жоқ! Бейбітшілік бәрінен қымбат."),
    ("ru", "KZ-35", "#своихнебросаем Россия защищает своих, а Запад только болтает."),
]
CALL = ("ru", "KZ-47", "Выходим в субботу в 12:00 на площадь у акимата, соберёмся все вместе.")
HOSTILE = ('<script>window.__kzpwned=1</script><img src=x onerror="window.__kzpwned=2">'
           ' Митинг в Алматы против роста цен на газ & бензин.')


HOSTILE_RULE = '<img src=x onerror="window.__kzpwned=3">call_burst'


def post(i, ts, lang, region, text, platform="telegram"):
    return {"id": "tg:webtest/%d" % i, "platform": platform, "author": "webtest_%d" % (i % 17),
            "ts": ts, "text": text, "lang": lang, "region": region}


def seed_posts(now):
    """Three posts a minute over the last 40 minutes, a post with a stance
    every other minute, a burst of calls to action 20 to 15 minutes ago, and
    the hostile post."""
    posts, i = [], 0
    now -= now % 60  # each minute's posts in one clock minute
    for m in range(40, 1, -1):
        batch = list(TEXTS)
        if m % 2 == 0:
            batch.append(STANCE[m // 2 % len(STANCE)])
        if 15 <= m <= 20:
            batch += [CALL] * (2 + 2 * (20 - m) if m > 17 else 2 + 2 * (m - 14))
        for lang, region, text in batch:
            i += 1
            posts.append(post(i, now - 60 * m + 7 * i % 55, lang, region, text))
    posts.append(post(9999, now - 600, "ru", "KZ-75", HOSTILE))
    return posts


def write_jsonl(path, posts):
    with open(path, "w", encoding="utf-8") as f:
        for p in posts:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# The servers under test
# ---------------------------------------------------------------------------

def free_port():
    out = subprocess.run([os.path.join(ROOT, "tests/harness/free-port")], capture_output=True, text=True)
    return int(out.stdout.split()[0])


def has_serve(kz):
    p = subprocess.run([kz, "serve", "--help"], capture_output=True, text=True)
    return p.returncode == 0


def redis_total(kz, url, since="-2h"):
    p = subprocess.run([kz, "query", "series", "all", "--json", "--redis", url, "--from", since,
                        "--to", "now", "--step", "minute"], capture_output=True, text=True)
    return json.loads(p.stdout)["total"] if p.returncode == 0 else -1


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def start_server(kz, source, port, log):
    """The dashboard's server over source (["--redis", URL] or [FILE])."""
    lex = ["--lexicons", os.path.join(ROOT, "lexicons")]
    if has_serve(kz):
        print("server: kzpulse serve %s" % " ".join(source))
        argv = [kz, "serve", "--listen", "127.0.0.1:%d" % port] + lex + source
    else:
        raise AssertionError("%s has no serve command (kzpulse serve --help fails)" % kz)
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------

def browser(profile):
    o = Options()
    o.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,1250", "--user-data-dir=" + profile, "--lang=en-US",
              "--no-first-run", "--disable-background-networking", "--disable-extensions"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    d.set_page_load_timeout(30)
    return d


def refreshes(d):
    return int(d.execute_script("return document.body.dataset.refreshes || '0'"))


def loaded(d, after=0, timeout=30):
    return wait_for(lambda: refreshes(d) > after, timeout)


def chart(d, cid):
    return d.execute_script(
        "var c = document.getElementById(arguments[0]);"
        "return {points: +(c.dataset.points || 0), total: +(c.dataset.total || 0),"
        " dims: c.dataset.dims || '', canvases: c.querySelectorAll('canvas').length,"
        " w: (c.querySelector('canvas') || {}).width || 0};", cid)


def region_name(d, code):
    return d.execute_script(
        "var r = document.querySelector('#regions tr[data-region=\"' + arguments[0] + '\"] td.name');"
        "return r ? r.textContent : null;", code)


def click_region(d, code):
    """A real click on a region row; the table is redrawn on every refresh,
    so a row found may be gone by the time it is clicked: find it again."""
    for _ in range(20):
        try:
            d.find_element(By.CSS_SELECTOR, '#regions tr[data-region="%s"] td.name' % code).click()
            return
        except (StaleElementReferenceException, NoSuchElementException):
            time.sleep(0.1)
    raise AssertionError("no region row " + code)


def page_words(d):
    """The page's language, a heading, the topic chart's legend and menu, the
    stance chart's legend."""
    return d.execute_script(
        "var txt = function (sel) { return [...document.querySelectorAll(sel)]"
        "  .map(e => e.textContent).join(' | '); };"
        "return {lang: document.documentElement.lang,"
        " regions: document.querySelector('h2[data-t=\"regions\"]').textContent,"
        " topics: txt('#chart-topic .u-legend .u-label') + ' | ' +"
        "         txt('#view select[name=topic] option'),"
        " stances: txt('#chart-stance .u-legend .u-label')};")


def posts_state(d):
    return d.execute_script(
        "var s = document.getElementById('posts');"
        "return {hidden: s.hidden, title: document.getElementById('posts-title').textContent,"
        " note: document.getElementById('posts-note').textContent,"
        " items: [...document.querySelectorAll('#posts-list > li')].map(li =>"
        "   ({text: li.querySelector('.post-text').textContent,"
        "     evidence: li.querySelectorAll('.evidence li').length}))};")


def severe_logs(d):
    return [entry["message"] for entry in d.get_log("browser") if entry["level"] == "SEVERE"]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: web_dashboard.py KZPULSE")
    kz = os.path.abspath(sys.argv[1])
    brokers = os.environ.get("KZ_TEST_BROKERS")
    redis_port = os.environ.get("KZ_TEST_REDIS_PORT")
    if not brokers or not redis_port:
        sys.exit("web_dashboard.py: run under tests/harness/with-servers.sh (no KZ_TEST_BROKERS)")
    redis_url = "redis://127.0.0.1:%s/9" % redis_port
    subprocess.run(["redis-cli", "-p", redis_port, "-n", "9", "flushdb"], check=True,
                   stdout=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="kzpulse-web.")
    topic = "web-%d-%d" % (os.getpid(), int(time.time()))
    lex = os.path.join(ROOT, "lexicons")
    runner = server = None
    drivers = []
    log = open(os.path.join(tmp, "servers.log"), "w")
    try:
        # -- posts into Redis through the real job ------------------------------
        now = int(time.time())
        seed = seed_posts(now)
        write_jsonl(os.path.join(tmp, "seed.jsonl"), seed)
        subprocess.run([kz, "produce", "-b", brokers, "-t", topic, os.path.join(tmp, "seed.jsonl")],
                       check=True, stdout=log, stderr=log)
        runner = subprocess.Popen([kz, "run", "-b", brokers, "-t", topic, "-g", "g-" + topic,
                                   "--redis", redis_url, "--lexicons", lex, "--stats-interval", "0",
                                   "--flush-ms", "200"], stdout=log, stderr=log, start_new_session=True)
        if not ok(wait_for(lambda: redis_total(kz, redis_url) == len(seed), 90, 0.5),
                  "kzpulse run counted the %d seed posts into Redis" % len(seed),
                  "total %d" % redis_total(kz, redis_url)):
            return
        port = free_port()
        server = start_server(kz, ["--redis", redis_url], port, log)
        base = "http://127.0.0.1:%d/" % port
        if not ok(wait_for(lambda: http_ok(base), 20, 0.2), "the server answers " + base):
            return

        # -- 1. charts and regions ------------------------------------------------
        d = browser(os.path.join(tmp, "profile1"))
        drivers.append(d)
        d.get(base + "?from=-1h&to=now&step=minute&names=en")
        ok(loaded(d), "the page loaded its data")
        for cid in ("chart-all", "chart-topic", "chart-stance", "chart-lang"):
            c = chart(d, cid)
            ok(c["canvases"] >= 1 and c["w"] > 0 and c["points"] >= 60,
               "%s drawn: uPlot canvas, %d points (%s)" % (cid, c["points"], c["dims"]), str(c))
        c = chart(d, "chart-all")
        ok(c["total"] == len(seed), "chart-all shows the %d posts" % len(seed), str(c))
        ok("topic:protest" in chart(d, "chart-topic")["dims"], "the topic chart has topic:protest")
        ok(region_name(d, "kz-47") == "Mangystau Region" and region_name(d, "kz-75") == "Almaty",
           "the region table names KZ-47 and KZ-75 in English",
           "%r %r" % (region_name(d, "kz-47"), region_name(d, "kz-75")))
        ok(d.find_element(By.ID, "error").get_attribute("hidden") is not None,
           "no error shown", d.find_element(By.ID, "error").text)

        # The default window (no from, no to): the server's, the last 24 hours.
        d.get(base)
        loaded(d)
        c = chart(d, "chart-all")
        ok(c["total"] == len(seed) and c["canvases"] >= 1, "with no window in the URL, the server's default "
           "(the last 24 hours) shows the posts", str(c))
        d.get(base + "?from=-1h&to=now&step=minute&names=en")
        loaded(d)

        # A bad parameter: the server's 400, shown with what it names.
        d2 = browser(os.path.join(tmp, "profile-bad"))
        drivers.append(d2)
        d2.get(base + "?from=yesterday")
        err = wait_for(lambda: d2.find_element(By.ID, "error").text, 10)
        ok(err and "from" in err and "400" in err, "from=yesterday: the error names the parameter (%s)" % err)
        d2.quit()
        drivers.remove(d2)

        # -- 2. live: the series moves within 5 s of new posts reaching Redis -----
        live = wait_for(lambda: d.find_element(By.ID, "live").get_attribute("data-mode"), 10)
        print("     live updates: %s" % live)
        before = redis_total(kz, redis_url)
        extra = [post(20000 + k, int(time.time()), "ru", "KZ-47", TEXTS[0][2]) for k in range(5)]
        write_jsonl(os.path.join(tmp, "live.jsonl"), extra)
        subprocess.run([kz, "produce", "-b", brokers, "-t", topic, os.path.join(tmp, "live.jsonl")],
                       check=True, stdout=log, stderr=log)
        want = before + len(extra)
        ok(wait_for(lambda: redis_total(kz, redis_url) >= want, 30, 0.05), "the new posts reached Redis")
        t_redis = time.monotonic()
        moved = wait_for(lambda: chart(d, "chart-all")["total"] >= want, 10, 0.05)
        lag = time.monotonic() - t_redis
        ok(moved and lag <= 5.0, "the series moved %.2f s after the posts reached Redis (at most 5 s)" % lag,
           "chart total %d, want %d" % (chart(d, "chart-all")["total"], want))

        # -- 3. click a chart point: its posts, with evidence ---------------------
        over = d.find_element(By.CSS_SELECTOR, "#chart-topic .u-over")
        ActionChains(d).move_to_element_with_offset(over, -over.size["width"] // 6, 0).click().perform()
        st = wait_for(lambda: (lambda s: s if s["items"] else None)(posts_state(d)), 10)
        ok(st and not st["hidden"] and st["title"].startswith("Posts behind topic:"),
           "a click on a topic point opens its posts (%s)" % (st and st["title"]), str(st))
        ok(st and all(p["evidence"] > 0 for p in st["items"]), "every post shows its evidence")
        ok("posts=topic" in d.current_url, "the open posts are in the URL")
        d.save_screenshot(os.path.join(os.environ.get("KZ_BUILD_ROOT", tmp), "dashboard.png"))
        if os.environ.get("KZ_UPDATE_SCREENSHOT") == "1":
            os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
            d.save_screenshot(os.path.join(ROOT, "docs/dashboard.png"))
            print("     screenshot saved to docs/dashboard.png")

        # -- 3, 4. click a region row; the hostile post is text ---------------------
        click_region(d, "kz-75")
        st = wait_for(lambda: (lambda s: s if "region:kz-75" in s["title"] and s["items"] else None)(
            posts_state(d)), 10)
        ok(st is not None, "a click on the KZ-75 row opens its posts", str(posts_state(d)))
        texts = [p["text"] for p in (st or {"items": []})["items"]]
        ok(HOSTILE in texts, "the hostile post is shown, character for character, as text",
           repr(texts[:3]))
        found = d.execute_script(
            "return {scripts: document.querySelectorAll('#posts script, #posts img, #posts-list [onerror]').length,"
            " pwned: window.__kzpwned === undefined ? null : window.__kzpwned};")
        ok(found["scripts"] == 0 and found["pwned"] is None,
           "no element made from it and no script run", str(found))

        # -- 4b. an alert arrives (an entry of the alert stream, as the alert
        # engine writes it), with hostile text: listed as text, opens its posts
        aid = "feedc0de%08x" % (os.getpid() & 0xffffffff)
        minute = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(time.time() - 120))
        record = {"id": aid, "rule": HOSTILE_RULE, "kind": "call", "state": "firing",
                  "severity": "critical", "first_minute": minute, "last_minute": minute,
                  "region": "KZ-47", "region_name": "Mangystau Region",
                  "dimension": "mob:call|region:kz-47", "count": 12, "authors": 9,
                  "expected": 1.5, "probability": 1e-9,
                  "evidence": {"samples": [], "top_terms": [], "top_hashtags": []}}

        def xadd(event, rec):
            subprocess.run(["redis-cli", "-p", redis_port, "-n", "9", "XADD", "kzp:v2:alerts", "*",
                            "id", aid, "event", event, "record", json.dumps(rec)],
                           check=True, stdout=subprocess.DEVNULL)

        def alert_text():
            return d.execute_script(
                "var li = document.querySelector('#alerts li[data-id=\"' + arguments[0] + '\"]');"
                "return li ? li.textContent : null;", aid)

        xadd("firing", record)
        t0 = time.monotonic()
        shown = wait_for(alert_text, 10, 0.05)
        ok(shown and time.monotonic() - t0 <= 5.0, "a new alert is listed within 5 s (%.2f s)" %
           (time.monotonic() - t0), repr(shown))
        ok(shown and HOSTILE_RULE in shown, "its hostile rule name is shown as text", repr(shown))
        record = dict(record, count=30)
        xadd("update", record)
        ok(wait_for(lambda: (alert_text() or "").find(" 30 ") >= 0, 10, 0.05),
           "its update replaces it (one line an alert)", repr(alert_text()))
        found = d.execute_script(
            "return {imgs: document.querySelectorAll('#alerts img, #alerts [onerror]').length,"
            " lines: document.querySelectorAll('#alerts li[data-id]').length,"
            " pwned: window.__kzpwned === undefined ? null : window.__kzpwned};")
        ok(found["imgs"] == 0 and found["pwned"] is None and found["lines"] == 1,
           "no element made from the alert and no script run", str(found))
        d.find_element(By.CSS_SELECTOR, '#alerts li[data-id="%s"]' % aid).click()
        st = wait_for(lambda: (lambda s: s if s["title"].startswith("Posts behind mob:call") else None)(
            posts_state(d)), 10)
        ok(st is not None, "a click on the alert opens the calls to action behind it",
           str(posts_state(d)))

        # -- 5. the language switch, remembered ------------------------------------
        n = refreshes(d)
        d.find_element(By.CSS_SELECTOR, '#names button[data-names="ru"]').click()
        ok(wait_for(lambda: region_name(d, "kz-47") == "Мангистауская область", 10),
           "the switch to ru names KZ-47 in Russian", repr(region_name(d, "kz-47")))
        ok("names=ru" in d.current_url, "the language is in the URL")
        ok(wait_for(lambda: page_words(d)["regions"] == "Регионы Казахстана" and
                    page_words(d)["lang"] == "ru", 10),
           "the switch to ru puts the page's words in Russian", str(page_words(d)))
        ok(wait_for(lambda: "протесты" in page_words(d)["topics"] and
                    "за Украину" in page_words(d)["stances"], 10),
           "and the charts' series and the topic menu", str(page_words(d)))
        d.get(base + "?from=-1h&to=now&step=minute")
        loaded(d)
        ok(wait_for(lambda: region_name(d, "kz-47") == "Мангистауская область", 10),
           "a reload without names= remembers ru", repr(region_name(d, "kz-47")))
        d.find_element(By.CSS_SELECTOR, '#names button[data-names="kk"]').click()
        ok(wait_for(lambda: region_name(d, "kz-47") == "Маңғыстау облысы", 10),
           "the switch to kk names KZ-47 in Kazakh", repr(region_name(d, "kz-47")))
        ok(wait_for(lambda: page_words(d)["regions"] == "Қазақстан өңірлері" and
                    "наразылық" in page_words(d)["topics"] and page_words(d)["lang"] == "kk", 10),
           "the switch to kk puts the page's words in Kazakh", str(page_words(d)))

        # -- 6. the URL reproduces the view ----------------------------------------
        n = refreshes(d)
        d.execute_script(
            "var f = document.getElementById('view');"
            "f.elements.topic.value = 'protest'; f.elements.step.value = 'minute';"
            "f.elements.from.value = '-45m'; f.requestSubmit();")
        loaded(d, n)
        ok(wait_for(lambda: chart(d, "chart-topic")["dims"] == "topic:protest", 10),
           "the topic filter leaves one series in the topic chart", chart(d, "chart-topic")["dims"])
        click_region(d, "kz-47")
        wait_for(lambda: posts_state(d)["items"], 10)
        url = d.current_url
        view1 = {cid: chart(d, cid)["dims"] for cid in ("chart-all", "chart-topic", "chart-stance")}
        posts1 = posts_state(d)
        form1 = d.execute_script("var f = document.getElementById('view');"
                                 "return [f.elements.from.value, f.elements.to.value,"
                                 " f.elements.step.value, f.elements.topic.value];")
        d2 = browser(os.path.join(tmp, "profile2"))
        drivers.append(d2)
        d2.get(url)
        loaded(d2)
        wait_for(lambda: posts_state(d2)["items"], 10)
        view2 = {cid: chart(d2, cid)["dims"] for cid in ("chart-all", "chart-topic", "chart-stance")}
        form2 = d2.execute_script("var f = document.getElementById('view');"
                                  "return [f.elements.from.value, f.elements.to.value,"
                                  " f.elements.step.value, f.elements.topic.value];")
        ok(form2 == form1 == ["-45m", "now", "minute", "protest"], "the link restores the window and filters",
           "%r vs %r" % (form1, form2))
        ok(view2 == view1 and "topic:protest|stance:pro_ukraine" in view2["chart-stance"],
           "the link restores the charts' series", "%r vs %r" % (view1, view2))
        ok(posts_state(d2)["title"] == posts1["title"] and len(posts_state(d2)["items"]) == len(posts1["items"]),
           "the link restores the open posts (%s)" % posts1["title"])
        ok(region_name(d2, "kz-47") == "Маңғыстау облысы", "the link restores the names' language (kk)",
           repr(region_name(d2, "kz-47")))

        # -- 2b. live without the event stream: the page polls ------------------------
        d3 = browser(os.path.join(tmp, "profile3"))
        drivers.append(d3)
        d3.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.EventSource;"})
        d3.get(base + "?from=-1h&to=now&step=minute")
        loaded(d3)
        mode = wait_for(lambda: d3.find_element(By.ID, "live").get_attribute("data-mode"), 10)
        ok(mode == "poll", "without EventSource the page polls (%s)" % mode)
        before = chart(d3, "chart-all")["total"]
        extra = [post(30000 + k, int(time.time()), "kk", "KZ-47", TEXTS[1][2]) for k in range(3)]
        write_jsonl(os.path.join(tmp, "live2.jsonl"), extra)
        subprocess.run([kz, "produce", "-b", brokers, "-t", topic, os.path.join(tmp, "live2.jsonl")],
                       check=True, stdout=log, stderr=log)
        want = before + len(extra)
        ok(wait_for(lambda: redis_total(kz, redis_url) >= want, 30, 0.05), "the new posts reached Redis")
        t_redis = time.monotonic()
        moved = wait_for(lambda: chart(d3, "chart-all")["total"] >= want, 10, 0.05)
        lag = time.monotonic() - t_redis
        ok(moved and lag <= 5.0, "polling, the series moved %.2f s after the posts reached Redis (at most 5 s)" % lag,
           "chart total %d, want %d" % (chart(d3, "chart-all")["total"], want))

        errs = severe_logs(d) + severe_logs(d2) + severe_logs(d3)

        # -- 7. an archive: `serve FILE` shows its data with no window given ---------
        archive = os.path.join(ROOT, "samples/posts.jsonl")
        p = subprocess.run([kz, "query", "series", "all", "--json", "--lexicons", lex, archive],
                           capture_output=True, text=True)
        want = json.loads(p.stdout)["total"]
        port2 = free_port()
        server2 = start_server(kz, [archive], port2, log)
        try:
            base2 = "http://127.0.0.1:%d/" % port2
            ok(wait_for(lambda: http_ok(base2), 60, 0.2), "the server over the sample archive answers")
            d3.get(base2)
            loaded(d3, 0, 60)
            c = chart(d3, "chart-all")
            ok(c["canvases"] >= 1 and c["points"] > 0 and c["total"] == want,
               "over samples/posts.jsonl the page shows the archive's %d dated posts (%d points)"
               % (want, c["points"]), str(c))
            ok(region_name(d3, "kz-47") is not None, "and its regions")
            errs += severe_logs(d3)
            d3.get("about:blank")
        finally:
            stop(server2)

        # -- 9. a server with a token: the page asks for it, then works live ----------
        tokfile = os.path.join(tmp, "serve.token")
        secret = "web-test-token-%d" % os.getpid()
        with open(tokfile, "w") as f:
            f.write(secret + "\n")
        port3 = free_port()
        server3 = start_server(kz, ["--redis", redis_url, "--token-file", tokfile], port3, log)
        try:
            base3 = "http://127.0.0.1:%d/" % port3
            ok(wait_for(lambda: http_ok(base3), 60, 0.2), "with a token, the page itself is served without it")

            def code(path, tok=None):
                req = urllib.request.Request(base3 + path)
                if tok:
                    req.add_header("Authorization", "Bearer " + tok)
                try:
                    with urllib.request.urlopen(req, timeout=5) as r:
                        return r.status
                except urllib.error.HTTPError as e:
                    return e.code
            codes = [code("assets/app.js"), code("api/v1/series"), code("api/v1/stream"),
                     code("api/v1/openapi.json"), code("metrics"), code("api/v1/series", secret)]
            ok(codes == [200, 401, 401, 401, 401, 200],
               "its files need no token; the API, the stream and /metrics do", str(codes))
            d4 = browser(os.path.join(tmp, "profile4"))
            drivers.append(d4)
            d4.get(base3 + "?from=-1h&to=now&step=minute&names=en")
            form_shown = lambda: d4.execute_script("return !document.getElementById('auth').hidden;")
            ok(wait_for(form_shown, 10), "the page asks for the token")
            n = refreshes(d4)
            box = d4.find_element(By.CSS_SELECTOR, "#auth input[name=token]")
            box.send_keys(secret)
            d4.find_element(By.CSS_SELECTOR, "#auth button[type=submit]").click()
            loaded(d4, n)
            want = redis_total(kz, redis_url)
            ok(wait_for(lambda: chart(d4, "chart-all")["total"] == want, 10),
               "given the token, the charts show the posts (%d)" % want, str(chart(d4, "chart-all")))
            ok(not form_shown() and secret not in d4.current_url,
               "the form is gone, and the token is not in the URL", d4.current_url)
            mode = wait_for(lambda: d4.find_element(By.ID, "live").get_attribute("data-mode") == "on", 10)
            ok(mode, "the event stream is open with the token (fetch)",
               d4.find_element(By.ID, "live").get_attribute("data-mode"))
            aid3 = "cafe%08x" % (os.getpid() & 0xffffffff)
            rec3 = dict(record, id=aid3, rule="call_burst_token")
            subprocess.run(["redis-cli", "-p", redis_port, "-n", "9", "XADD", "kzp:v2:alerts", "*",
                            "id", aid3, "event", "firing", "record", json.dumps(rec3)],
                           check=True, stdout=subprocess.DEVNULL)
            t0 = time.monotonic()
            got = wait_for(lambda: d4.execute_script(
                "return !!document.querySelector('#alerts li[data-id=\"' + arguments[0] + '\"]');", aid3), 10, 0.05)
            lag = time.monotonic() - t0
            still = d4.find_element(By.ID, "live").get_attribute("data-mode")
            ok(got and lag <= 5.0 and still == "on",
               "a new alert comes through the stream within 5 s (%.2f s, %s)" % (lag, still))
            n = refreshes(d4)
            d4.get(base3 + "?from=-1h&to=now&step=minute&names=en")
            loaded(d4)
            ok(not form_shown() and chart(d4, "chart-all")["total"] == want,
               "a reload in the same tab keeps the token (sessionStorage)")
            d4.execute_script("window.sessionStorage.setItem('kzpulse.token', 'not-the-token');")
            d4.get(base3 + "?from=-1h&to=now&step=minute&names=en")
            ok(wait_for(form_shown, 10), "a wrong token: the form again")
            err = wait_for(lambda: d4.find_element(By.ID, "error").text, 10)
            ok(err and "refused the token" in err, "and the page says the token was refused", repr(err))
            d4.quit()
            drivers.remove(d4)
        finally:
            stop(server3)

        # -- no page errors -----------------------------------------------------------
        ok(not errs, "no errors in the browser console", "; ".join(errs[:3]))
    finally:
        for drv in drivers:
            try:
                drv.quit()
            except Exception:  # the browser may be gone already
                pass
        stop(server)
        stop(runner)
        log.close()
        if fails:
            print("servers' log: " + os.path.join(tmp, "servers.log"))
            with open(os.path.join(tmp, "servers.log"), encoding="utf-8", errors="replace") as f:
                sys.stdout.write("".join(f.readlines()[-30:]))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % fails)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
