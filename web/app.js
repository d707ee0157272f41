/*
 * app.js -- the kzpulse dashboard: charts, regions, alerts and the posts
 * behind a number, read from the JSON API v1 of `kzpulse serve`.
 *
 * Design:
 *  - The view (window, step, zone, filters, language of place names and the
 *    posts panel) is one object, `view`, and the page's query string is its
 *    only serialisation: every change writes the URL, and loading a URL
 *    rebuilds the same view, so a link reproduces what its sender saw.  The
 *    language of names, when the URL does not say, comes from localStorage.
 *  - That language is the page's too: its words come from words.js
 *    (t(), in kk, ru or en), topic, stance and language values are shown by
 *    their names there, and dimension strings stay as the API spells them.
 *  - Every answer is the JSON of `kzpulse query --json` (series, dims, posts),
 *    asked with the same parameters as the command line (from, to, step, tz,
 *    names, dim, limit), plus the alert stream's newest entries (alerts, by
 *    limit only), one a state change, of which the page keeps each alert's
 *    newest.
 *  - A server with a token (serve --token-file) answers the API with 401
 *    until the page sends it: the page then shows a form for it, keeps it in
 *    sessionStorage (this tab; never the URL) and sends it as a bearer token
 *    with every call.
 *  - Live: an EventSource on api/v1/stream (with a token, the same stream
 *    read with fetch(), which can send it); any event (new minute totals, an
 *    alert) schedules one refresh.  When the stream is down the page polls
 *    instead, every POLL_MS, until it comes back, and a live window is
 *    redrawn every SLIDE_MS anyway.  A window with a fixed end is not
 *    refreshed.
 *  - Posts are hostile text.  Nothing from the server is ever parsed as HTML:
 *    every string goes into the page as a text node (textContent), and the
 *    page's Content-Security-Policy allows scripts from the page's own origin
 *    only.  No URL outside the page's own origin is used anywhere.
 */
(function () {
    "use strict";

    var API = "api/v1/";
    var POLL_MS = 2000;
    var SLIDE_MS = 30000;   /* a live window is redrawn at least this often */
    var NAMES = ["kk", "ru", "en"];
    var NAMES_KEY = "kzpulse.names";
    var TOKEN_KEY = "kzpulse.token"; /* sessionStorage: this tab only, never the URL */
    /* An empty from or to is left out of every request: the server's default
     * window, as `kzpulse query`'s (Redis: the last 24 hours up to now; an
     * archive: the span of its data). */
    var DEFAULTS = { from: "", to: "", step: "auto", tz: "Asia/Almaty", topic: "", region: "" };
    var COLORS = ["#0b6bcb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#1098ad", "#c2255c", "#5c940d"];
    var TOP_TOPICS = 6, TOP_LANGS = 5;
    var STEP_S = { minute: 60, hour: 3600, day: 86400 };

    var view = {};          /* see readURL() */
    var charts = {};        /* chart id -> { plot, key, specs, times, step } */
    var refreshing = false, pending = false, refreshes = 0;
    var generation = 0;     /* bumped by every change of the view */
    var stream = null, pollTimer = null, slideTimer = null, debounce = null;
    var token = "";         /* the server's bearer token, when it asks for one */

    /* -------------------------------------------------------------------
     * Small helpers: elements made from text only, never from markup
     * ------------------------------------------------------------------- */

    function $(sel) { return document.querySelector(sel); }

    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text !== undefined && text !== null) e.textContent = String(text);
        return e;
    }

    function clear(node) {
        while (node.firstChild) node.removeChild(node.firstChild);
    }

    /* The page's word for key in the view's language ({x} filled from vars);
     * en when that language lacks it; null when no language has it. */
    function t(key, vars) {
        var all = window.KZ_WORDS || {}, w = all[view.names] || {}, en = all.en || {};
        var s = w[key] !== undefined ? w[key] : en[key];
        if (s === undefined) return null;
        if (vars) s = s.replace(/\{([a-z]+)\}/g, function (m, k) {
            return vars[k] !== undefined ? String(vars[k]) : m;
        });
        return s;
    }

    /* A value of the API (a topic, a stance, a language) by its name. */
    function named(kind, value) {
        return t(kind + "." + value) || value;
    }

    /* The page's fixed words: [data-t] text, [data-tp] placeholders,
     * [data-ta] labels for assistive technology. */
    function translatePage() {
        document.documentElement.lang = t("page.lang") || "en";
        document.querySelectorAll("[data-t]").forEach(function (e) {
            var w = t(e.dataset.t);
            if (w !== null) e.textContent = w;
        });
        document.querySelectorAll("[data-tp]").forEach(function (e) {
            var w = t(e.dataset.tp);
            if (w !== null) e.placeholder = w;
        });
        document.querySelectorAll("[data-ta]").forEach(function (e) {
            var w = t(e.dataset.ta);
            if (w !== null) e.setAttribute("aria-label", w);
        });
    }

    function showError(msg) {
        var box = $("#error");
        box.textContent = msg || "";
        box.hidden = !msg;
    }

    /* -------------------------------------------------------------------
     * The view and the URL
     * ------------------------------------------------------------------- */

    function storedNames() {
        try {
            var v = window.localStorage.getItem(NAMES_KEY);
            return NAMES.indexOf(v) >= 0 ? v : null;
        } catch (e) {
            return null;
        }
    }

    function readURL() {
        var q = new URLSearchParams(window.location.search);
        var v = {};
        Object.keys(DEFAULTS).forEach(function (k) {
            var x = q.get(k);
            v[k] = x !== null && x !== "" ? x : DEFAULTS[k];
        });
        var n = q.get("names");
        v.names = NAMES.indexOf(n) >= 0 ? n : (storedNames() || "en");
        /* the posts panel: which dimension, over which bucket */
        v.posts = q.get("posts") || "";
        v.pfrom = q.get("pfrom") || "";
        v.pto = q.get("pto") || "";
        view = v;
    }

    function writeURL(push) {
        var q = new URLSearchParams();
        ["from", "to", "step", "tz", "names", "topic", "region"].forEach(function (k) {
            if (view[k]) q.set(k, view[k]);
        });
        if (view.posts) {
            q.set("posts", view.posts);
            if (view.pfrom) q.set("pfrom", view.pfrom);
            if (view.pto) q.set("pto", view.pto);
        }
        var url = window.location.pathname + "?" + q.toString();
        if (url === window.location.pathname + window.location.search) return;
        if (push) window.history.pushState(null, "", url);
        else window.history.replaceState(null, "", url);
    }

    function fillForm() {
        var f = $("#view");
        f.elements.from.value = view.from;
        f.elements.to.value = view.to;
        f.elements.step.value = view.step;
        f.elements.tz.value = view.tz;
        ensureOption(f.elements.topic, view.topic, view.topic);
        f.elements.topic.value = view.topic;
        ensureOption(f.elements.region, view.region, view.region.toUpperCase());
        f.elements.region.value = view.region;
        document.querySelectorAll("#names button").forEach(function (b) {
            b.setAttribute("aria-pressed", b.dataset.names === view.names ? "true" : "false");
        });
        translatePage();
        nameTopics();
    }

    function ensureOption(select, value, label) {
        if (!value) return;
        for (var i = 0; i < select.options.length; i++)
            if (select.options[i].value === value) return;
        var o = el("option", null, label);
        o.value = value;
        select.appendChild(o);
    }

    /* A window whose end moves (now, -5m, the default) is live; a fixed end
     * is not.  (Over an archive nothing moves, and the stream sends nothing.) */
    function isLive() {
        var t = view.to.trim();
        return t === "" || t === "now" || t.charAt(0) === "-";
    }

    /* -------------------------------------------------------------------
     * The API
     * ------------------------------------------------------------------- */

    function windowParams(extra) {
        var p = { from: view.from, to: view.to, step: view.step, tz: view.tz, names: view.names };
        for (var k in extra) if (Object.prototype.hasOwnProperty.call(extra, k)) p[k] = extra[k];
        return p;
    }

    /* Request headers: what is accepted, and the token when there is one. */
    function headers(accept) {
        var h = { Accept: accept };
        if (token) h.Authorization = "Bearer " + token;
        return h;
    }

    /* The server answered 401: show the token form (a wrong token is said so). */
    function askToken() {
        var f = $("#auth");
        if (!f.hidden) return;
        f.hidden = false;
        if (token) showError(t("auth.wrong"));
        f.elements.token.value = "";
        f.elements.token.focus();
    }

    /* GET api/v1/<what>?params: the parsed JSON, or a rejection whose
     * message is the server's error (it names the bad parameter). */
    function api(what, params) {
        var q = new URLSearchParams();
        Object.keys(params).forEach(function (k) {
            if (params[k] !== undefined && params[k] !== null && params[k] !== "") q.set(k, params[k]);
        });
        return fetch(API + what + "?" + q.toString(), { headers: headers("application/json") })
            .then(function (r) {
                if (r.status === 401) askToken();
                return r.text().then(function (body) {
                    var j = null;
                    try { j = JSON.parse(body); } catch (e) { j = null; }
                    if (!r.ok) {
                        /* {"error": {"status", "parameter", "message"}} */
                        var e = j && j.error, m = "";
                        if (typeof e === "string") m = e;
                        else if (e) {
                            m = e.message || "";
                            if (e.parameter && m.indexOf('"' + e.parameter + '"') < 0)
                                m = "parameter " + e.parameter + ": " + m;
                        }
                        var err = new Error(what + ": HTTP " + r.status + (m ? ": " + m : ""));
                        err.status = r.status;
                        throw err;
                    }
                    if (j === null) throw new Error(what + ": the answer is not JSON");
                    return j;
                });
            });
    }

    /* -------------------------------------------------------------------
     * Charts
     * ------------------------------------------------------------------- */

    /* [{dim, label}] each chart shows, from the window's dimension totals. */
    function chartSpecs(totals) {
        var topics = view.topic ? ["topic:" + view.topic]
            : ranked(totals.topic, "topic:").slice(0, TOP_TOPICS);
        var langs = ranked(totals.lang, "lang:").slice(0, TOP_LANGS);
        var region = view.region ? "region:" + view.region.toLowerCase() : "";
        return {
            "chart-all": [
                { dim: region || "all", label: region ? region.slice(7).toUpperCase() : t("allposts") },
                { dim: "mob:call", label: t("calls") }
            ],
            "chart-topic": topics.map(function (d) {
                return { dim: region ? d + "|" + region : d, label: named("topic", d.slice(6)) };
            }),
            "chart-stance": ["pro_ukraine", "pro_russia"].map(function (s) {
                return { dim: (view.topic ? "topic:" + view.topic + "|" : "") + "stance:" + s,
                         label: named("stance", s) };
            }),
            "chart-lang": langs.map(function (d) { return { dim: d, label: named("lang", d.slice(5)) }; })
        };
    }

    /* The keys of a dims answer that are plain "<prefix><value>", largest first. */
    function ranked(answer, prefix) {
        if (!answer || !answer.dims) return [];
        return Object.keys(answer.dims).filter(function (k) {
            return k.indexOf(prefix) === 0 && k.indexOf("|") < 0;
        }).sort(function (a, b) { return answer.dims[b] - answer.dims[a]; });
    }

    function toEpoch(t) { return Date.parse(t) / 1000; }

    function tzDate(ts) {
        try {
            return uPlot.tzDate(new Date(ts * 1e3), view.tz);
        } catch (e) {
            return new Date(ts * 1e3);
        }
    }

    function pad(n) { return (n < 10 ? "0" : "") + n; }

    /* Axis and legend times in the view's zone, 24-hour clock: "14:05", or
     * "03-05 14:00" when the chart spans days, or "2026-03-05" by day. */
    function fmtTime(ts, span, step) {
        var d = tzDate(ts);
        var day = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
        var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
        if (step === "day") return day;
        if (span === undefined) return day + " " + hm;
        return span > 86400 ? day.slice(5) + " " + hm : hm;
    }

    function drawChart(id, specs, answers) {
        var box = document.getElementById(id);
        var first = answers[0];
        var times = first ? first.points.map(function (p) { return p[0]; }) : [];
        var data = [times.map(toEpoch)];
        var sum = 0;
        /* Each series on the first one's buckets, by time: answers asked a
         * moment apart over a window ending "now" may differ by the bucket
         * that has just begun (a missing bucket is a gap, not a zero). */
        answers.forEach(function (a, i) {
            var at = {};
            a.points.forEach(function (p) { at[p[0]] = p[1]; });
            data.push(times.map(function (t) { return at[t] === undefined ? null : at[t]; }));
            if (i === 0) a.points.forEach(function (p) { sum += p[1]; });
        });
        box.dataset.points = String(times.length);
        box.dataset.total = String(sum);
        box.dataset.dims = specs.map(function (s) { return s.dim; }).join(" ");

        var c = charts[id];
        var key = specs.map(function (s) { return s.dim; }).join(" ") + "@" + view.tz + "@" + view.names;
        if (c && c.key === key) {
            c.times = times;
            c.step = first ? first.step : null;
            c.plot.setData(data);
            return;
        }
        if (c) c.plot.destroy();
        clear(box);
        var entry = { plot: null, key: key, specs: specs, times: times, step: first ? first.step : null };
        var opts = {
            width: Math.max(box.clientWidth, 300),
            height: 220,
            tzDate: tzDate,
            /* the series nearest the cursor stands out: the one a click opens */
            cursor: { drag: { x: false, y: false }, focus: { prox: 30 } },
            focus: { alpha: 0.35 },
            scales: { x: { time: true } },
            axes: [{
                space: 70,
                values: function (u, splits) {
                    var span = u.data[0].length ? u.data[0][u.data[0].length - 1] - u.data[0][0] : 0;
                    return splits.map(function (t) { return fmtTime(t, span, entry.step); });
                }
            }, { size: 48 }],
            series: [{
                label: t("time"),
                value: function (u, t) {
                    return t === null || t === undefined ? "--" : fmtTime(t, undefined, entry.step);
                }
            }].concat(specs.map(function (s, i) {
                return { label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5,
                         points: { size: 4 } };
            }))
        };
        entry.plot = new uPlot(opts, data, box);
        charts[id] = entry;
        entry.plot.over.addEventListener("click", function () { chartClick(id); });
    }

    /* A click on a chart: the posts behind the series nearest the cursor, in
     * the bucket under it. */
    function chartClick(id) {
        var c = charts[id], u = c && c.plot;
        if (!u || u.cursor.idx === null || u.cursor.idx === undefined) return;
        var idx = u.cursor.idx, best = -1, bestDist = Infinity;
        for (var i = 1; i < u.series.length; i++) {
            if (!u.series[i].show) continue;
            var y = u.data[i][idx];
            if (y === null || y === undefined) continue;
            var d = Math.abs(u.valToPos(y, "y") - u.cursor.top);
            if (d < bestDist) { bestDist = d; best = i; }
        }
        if (best < 0) return;
        var spec = c.specs[best - 1];
        var from = c.times[idx];
        var to = c.times[idx + 1] || String(toEpoch(from) + (STEP_S[c.step] || 3600));
        openPosts(spec.dim, from, to);
    }

    function resizeCharts() {
        Object.keys(charts).forEach(function (id) {
            var box = document.getElementById(id);
            charts[id].plot.setSize({ width: Math.max(box.clientWidth, 300), height: 220 });
        });
    }

    /* -------------------------------------------------------------------
     * Regions
     * ------------------------------------------------------------------- */

    function regionOf(dim) {
        var parts = dim.split("|"), last = parts[parts.length - 1];
        return last.indexOf("region:") === 0 ? last.slice(7) : null;
    }

    var regionNames = {};    /* "kz-47" -> its name in the page's language */

    function drawRegions(answer) {
        var body = $("#regions tbody");
        var focused = document.activeElement && body.contains(document.activeElement)
            ? document.activeElement.dataset.region : null;
        clear(body);
        var dims = answer.dims || {}, names = answer.names || {};
        regionNames = {};
        var keys = Object.keys(dims).filter(function (k) { return regionOf(k) !== null; })
            .sort(function (a, b) { return dims[b] - dims[a]; });
        var max = keys.length ? dims[keys[0]] : 0;
        var select = $("#view").elements.region;
        keys.forEach(function (k) {
            var code = regionOf(k), name = names[k] || "";
            if (name) regionNames[code] = name;
            var tr = el("tr");
            tr.dataset.region = code;
            tr.tabIndex = 0;
            if (code === view.region.toLowerCase()) tr.className = "selected";
            tr.appendChild(el("td", "code", code === "unknown" ? "—" : code.toUpperCase()));
            var td0 = el("td", "name", code === "unknown" ? t("unknown") : name);
            if (name && code !== "unknown") td0.lang = view.names;
            tr.appendChild(td0);
            var td = el("td", "num bar"), bar = el("span");
            bar.style.width = (max ? Math.round(100 * dims[k] / max) : 0) + "%";
            td.appendChild(bar);
            td.appendChild(el("b", null, dims[k]));
            tr.appendChild(td);
            body.appendChild(tr);
            if (code === focused) tr.focus(); /* a redraw keeps the keyboard's place */
            if (code !== "unknown") {
                ensureOption(select, code, code.toUpperCase());
                for (var i = 0; i < select.options.length; i++)
                    if (select.options[i].value === code)
                        select.options[i].textContent = code.toUpperCase() + (name ? " " + name : "");
            }
        });
        if (!keys.length) {
            var tr = el("tr"), td = el("td", "empty", t("noposts"));
            td.colSpan = 3;
            tr.appendChild(td);
            body.appendChild(tr);
        }
    }

    function fillTopics(answer) {
        var select = $("#view").elements.topic;
        ranked(answer, "topic:").forEach(function (d) { ensureOption(select, d.slice(6), d.slice(6)); });
        nameTopics();
        select.value = view.topic;
    }

    /* The topic menu's entries by their names in the page's language. */
    function nameTopics() {
        var select = $("#view").elements.topic;
        for (var i = 0; i < select.options.length; i++)
            if (select.options[i].value) select.options[i].textContent = named("topic", select.options[i].value);
    }

    /* -------------------------------------------------------------------
     * Alerts
     * ------------------------------------------------------------------- */

    var ALERTS_LIMIT = 200;
    var alertsById = {};

    /* An entry of the alert stream ({"stream_id", "id", "event", "record"},
     * from api/v1/alerts or an "alert" event) as its record, with the entry's
     * event (firing, update, resolved) beside it; a bare record as it is. */
    function alertRecord(x) {
        if (!x || typeof x !== "object") return null;
        if (!x.record || typeof x.record !== "object") return x.id ? x : null;
        var r = {};
        for (var k in x.record) if (Object.prototype.hasOwnProperty.call(x.record, k)) r[k] = x.record[k];
        r.id = r.id || x.id;
        r.event = x.event;
        r.stream_id = x.stream_id;
        return r.id ? r : null;
    }

    /* Redis stream ids "<ms>-<seq>" in their order (-1, 0, 1). */
    function streamOrder(a, b) {
        var x = String(a || "0-0").split("-"), y = String(b || "0-0").split("-");
        for (var i = 0; i < 2; i++) {
            var d = Number(x[i] || 0) - Number(y[i] || 0);
            if (d) return d < 0 ? -1 : 1;
        }
        return 0;
    }

    /* Keep the newest entry of each alert (entries come one a state change). */
    function keepAlert(a) {
        var old = alertsById[a.id];
        if (!old || streamOrder(a.stream_id, old.stream_id) >= 0) alertsById[a.id] = a;
    }

    function alertList(answer) {
        var list = Array.isArray(answer) ? answer : (answer && answer.alerts) || [];
        return list.map(alertRecord).filter(function (a) { return a; });
    }

    function drawAlerts(list) {
        var ol = $("#alerts");
        clear(ol);
        list.sort(function (a, b) { return String(b.last_minute).localeCompare(String(a.last_minute)); });
        list.forEach(function (a) {
            var li = el("li");
            li.dataset.id = a.id || "";
            li.tabIndex = 0;
            li.appendChild(el("span", "sev " + String(a.severity || "").replace(/[^a-z]/g, ""),
                              a.severity || "alert"));
            /* the region's name in the page's language when the table has it */
            var where = (a.region && regionNames[String(a.region).toLowerCase()]) || a.region_name ||
                a.region || t("allkz");
            var exp = typeof a.expected === "number" ? " (" + t("expected", { n: a.expected.toFixed(1) }) + ")" : "";
            li.appendChild(el("span", "what",
                (a.rule || "") + " · " + where + " · " + (a.count !== undefined ? a.count : "?") + exp));
            li.appendChild(el("div", "post-meta", (a.event || a.state || "") + " " +
                alertTime(a.first_minute) + " → " + alertTime(a.last_minute)));
            var open = function () {
                var dim = postsDim(a.dimension || "");
                var end = a.last_minute ? String(toEpoch(a.last_minute) + 60) : "";
                openPosts(dim || a.dimension || "", a.first_minute || "", end);
            };
            li.addEventListener("click", open);
            li.addEventListener("keydown", function (ev) {
                if (ev.key === "Enter") open();
            });
            ol.appendChild(li);
        });
        if (!list.length) ol.appendChild(el("li", "empty", t("noalerts")));
    }

    /* An alert's UTC minute in the view's zone; as given if unreadable. */
    function alertTime(t) {
        var ts = toEpoch(t || "");
        return isNaN(ts) ? String(t || "") : fmtTime(ts, undefined, null);
    }

    /* A window bound as people read it: an instant (RFC 3339 or epoch
     * seconds) in the view's zone, a relative one (-45m, now) as it is. */
    function shownTime(t) {
        t = String(t || "");
        if (/^[0-9]+$/.test(t)) return fmtTime(Number(t), undefined, null);
        return /^[0-9]{4}-/.test(t) ? alertTime(t) : t;
    }

    function loadAlerts() {
        /* The alert stream's newest entries: not a window query (only limit). */
        return api("alerts", { limit: ALERTS_LIMIT }).then(function (ans) {
            alertsById = {};
            alertList(ans).forEach(keepAlert);
            drawAlerts(Object.keys(alertsById).map(function (k) { return alertsById[k]; }));
        }, function (e) {
            var ol = $("#alerts");
            clear(ol);
            ol.appendChild(el("li", "empty", t("alertsdown", { e: e.message })));
        });
    }

    /* -------------------------------------------------------------------
     * Posts behind a number
     * ------------------------------------------------------------------- */

    /* The dimension whose sample posts stand for dim: the store keeps samples
     * by topic, stance, call to action and region, not by cross or language. */
    function postsDim(dim) {
        var parts = dim.split("|");
        for (var i = 0; i < parts.length; i++) {
            var p = parts[i];
            if (/^(topic|stance|region):./.test(p) && p !== "region:unknown") return p;
            if (p === "mob:call") return p;
        }
        return null;
    }

    function openPosts(dim, from, to) {
        view.posts = dim;
        view.pfrom = from;
        view.pto = to;
        writeURL(true);
        loadPosts();
    }

    var postsAsked = 0;     /* the answer to the last request only is shown */

    function loadPosts() {
        var asked = ++postsAsked;
        var sec = $("#posts"), list = $("#posts-list"), note = $("#posts-note");
        if (!view.posts) { sec.hidden = true; return Promise.resolve(); }
        sec.hidden = false;
        var dim = postsDim(view.posts);
        var span = view.pfrom ? shownTime(view.pfrom) + " – " + shownTime(view.pto)
            : (view.from || t("winStart")) + " – " + (view.to || t("winEnd"));
        $("#posts-title").textContent = t("postsBehind", { dim: view.posts, span: span });
        clear(list);
        if (!dim) {
            note.textContent = t("noSamples", { dim: view.posts });
            return Promise.resolve();
        }
        note.textContent = dim !== view.posts ? t("samplesOf", { dim: dim }) : "";
        var p = windowParams({ dim: dim, limit: 20 });
        if (view.pfrom) { p.from = view.pfrom; p.to = view.pto; }
        delete p.step;
        return api("posts", p).then(function (ans) {
            if (asked !== postsAsked) return;
            clear(list);
            (ans.posts || []).forEach(function (post) { list.appendChild(postItem(post)); });
            note.textContent = (note.textContent ? note.textContent + " " : "") +
                t("shown", { a: ans.shown !== undefined ? ans.shown : (ans.posts || []).length,
                             b: ans.total !== undefined ? ans.total : "?" }) +
                (ans.name ? " (" + ans.name + ")" : "") + ".";
        }, function (e) {
            if (asked === postsAsked) note.textContent = e.message;
        });
    }

    function postItem(post) {
        var li = el("li");
        var meta = el("div", "post-meta");
        [post.time, post.platform, post.author, post.region, post.id].forEach(function (v) {
            if (v) meta.appendChild(el("span", null, v));
        });
        li.appendChild(meta);
        li.appendChild(el("p", "post-text", post.snippet || post.text || ""));
        var ev = el("ul", "evidence");
        (post.evidence || []).forEach(function (e) {
            var item = el("li");
            item.appendChild(el("span", "cat", e.category));
            item.appendChild(document.createTextNode(" " + (e.rule || "") + " → "));
            item.appendChild(el("q", null, e.match));
            ev.appendChild(item);
        });
        li.appendChild(ev);
        return li;
    }

    /* -------------------------------------------------------------------
     * Refresh: totals first (they choose the series), then the series
     * ------------------------------------------------------------------- */

    function refresh() {
        if (refreshing) { pending = true; return; }
        refreshing = true;
        var gen = generation;
        /* An answer for a view that has changed since is not drawn: the
         * refresh queued by the change draws the new one. */
        var current = function () {
            if (gen !== generation) throw new Error("stale");
        };
        var regionPrefix = view.topic ? "topic:" + view.topic + "|region:" : "region:";
        var totals = {};
        var dimsOf = function (key, prefix) {
            return api("dims", windowParams({ dim: prefix })).then(function (a) { totals[key] = a; });
        };
        Promise.all([dimsOf("topic", "topic:"), dimsOf("lang", "lang:"), dimsOf("region", regionPrefix)])
            .then(function () {
                current();
                fillTopics(totals.topic);
                drawRegions(totals.region);
                var specs = chartSpecs(totals);
                return Promise.all(Object.keys(specs).map(function (id) {
                    return Promise.all(specs[id].map(function (s) {
                        return api("series", windowParams({ dim: s.dim }));
                    })).then(function (answers) {
                        current();
                        drawChart(id, specs[id], answers);
                        return answers[0];
                    });
                }));
            })
            .then(function (answers) {
                current();
                var a = answers[0];
                if (a) $("#window").textContent = t("window", { from: a.from, to: a.to, tz: a.tz,
                                                                 step: named("step", a.step) }) +
                    (a.undated ? t("undated", { n: a.undated }) : "");
                showError("");
                return loadAlerts();
            })
            .catch(function (e) {
                /* a 401 is the token form's to say (askToken) */
                if (gen === generation)
                    showError(e.status === 401 ? (token ? t("auth.wrong") : "") : e.message);
            })
            .then(function () {
                refreshing = false;
                if (gen === generation) { /* drawn: count it (the browser test waits on it) */
                    refreshes++;
                    document.body.dataset.refreshes = String(refreshes);
                } else {
                    pending = true;
                }
                if (pending) { pending = false; refresh(); }
            });
    }

    function soon() {
        if (debounce) return;
        debounce = setTimeout(function () { debounce = null; if (isLive()) refresh(); }, 300);
    }

    /* -------------------------------------------------------------------
     * Live updates: the event stream, polling while it is down
     * ------------------------------------------------------------------- */

    function setLive(mode) {
        var s = $("#live");
        s.className = mode;
        s.dataset.mode = mode;
        s.textContent = t("live." + mode, { n: POLL_MS / 1000 });
    }

    function startPolling() {
        if (pollTimer) return;
        pollTimer = setInterval(soon, POLL_MS);
        setLive("poll");
    }

    function stopPolling() {
        if (pollTimer) clearInterval(pollTimer);
        pollTimer = null;
    }

    function connect() {
        if (!isLive()) { setLive("fixed"); return; }
        /* Even with the stream open: a window ending "now" slides with the
         * clock when nothing new arrives, and a stream that went quiet
         * without an error is not noticed otherwise. */
        if (!slideTimer) slideTimer = setInterval(soon, SLIDE_MS);
        openStream();
    }

    /* What the stream says: a new alert is drawn at once; any event
     * schedules one refresh. */
    function onStreamEvent(type, data) {
        if (type === "alert") {
            try {
                var a = alertRecord(JSON.parse(data));
                if (a) {
                    keepAlert(a);
                    drawAlerts(Object.keys(alertsById).map(function (k) { return alertsById[k]; }));
                }
            } catch (e) { /* not a record: the refresh below reads the list */ }
        }
        soon();
    }

    /* Open the stream again after ms, unless the view changed meanwhile. */
    function reopenLater(ms) {
        var gen = generation;
        setTimeout(function () { if (!stream && gen === generation && isLive()) openStream(); }, ms);
    }

    function openStream() {
        if (token) { fetchStream(); return; }
        if (!window.EventSource) { startPolling(); return; }
        var es = new EventSource(API + "stream");
        stream = es;
        es.onopen = function () { stopPolling(); setLive("on"); };
        es.onerror = function () {
            startPolling();
            if (es.readyState === EventSource.CLOSED && stream === es) { /* refused: retry later */
                stream = null;
                reopenLater(30000);
            }
        };
        ["message", "minute", "totals", "series", "alert", "gap"].forEach(function (type) {
            es.addEventListener(type, function (ev) { onStreamEvent(type, ev.data); });
        });
    }

    /* The event stream read with fetch(), which (unlike EventSource) can send
     * the token: the text/event-stream format parsed here, Last-Event-ID sent
     * on reconnection so that no alert is missed. */
    var lastEventId = "";
    function fetchStream() {
        var ctrl = window.AbortController ? new AbortController() : null;
        var me = { close: function () { if (ctrl) ctrl.abort(); } };
        stream = me;
        var h = headers("text/event-stream");
        if (lastEventId) h["Last-Event-ID"] = lastEventId;
        function lost(ms) {
            if (stream !== me) return; /* closed on purpose */
            stream = null;
            startPolling();
            reopenLater(ms);
        }
        function dispatch(block) {
            var type = "message", data = [], any = false;
            block.split("\n").forEach(function (line) {
                if (!line || line.charAt(0) === ":") return;
                var i = line.indexOf(":");
                var field = i < 0 ? line : line.slice(0, i);
                var value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
                if (field === "event") type = value;
                else if (field === "data") { data.push(value); any = true; }
                else if (field === "id") lastEventId = value;
            });
            if (any) onStreamEvent(type, data.join("\n"));
        }
        fetch(API + "stream", { headers: h, signal: ctrl ? ctrl.signal : undefined, cache: "no-store" })
            .then(function (r) {
                if (r.status === 401) { askToken(); lost(30000); return null; }
                if (!r.ok || !r.body) { lost(30000); return null; }
                if (stream !== me) return null;
                stopPolling();
                setLive("on");
                var reader = r.body.getReader(), dec = new TextDecoder(), buf = "";
                function pump() {
                    return reader.read().then(function (x) {
                        if (x.done) { lost(3000); return null; }
                        buf = (buf + dec.decode(x.value, { stream: true })).replace(/\r\n?/g, "\n");
                        var i;
                        while ((i = buf.indexOf("\n\n")) >= 0) {
                            dispatch(buf.slice(0, i));
                            buf = buf.slice(i + 2);
                        }
                        return stream === me ? pump() : reader.cancel();
                    });
                }
                return pump();
            })
            .catch(function () { lost(3000); });
    }

    function disconnect() {
        if (stream) stream.close();
        stream = null;
        stopPolling();
        if (slideTimer) clearInterval(slideTimer);
        slideTimer = null;
    }

    /* -------------------------------------------------------------------
     * Start
     * ------------------------------------------------------------------- */

    function apply(push) {
        generation++;
        writeURL(push);
        fillForm();
        disconnect();
        connect();
        refresh();
        loadPosts();
    }

    function start() {
        readURL();
        try { token = window.sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { token = ""; }
        $("#auth").addEventListener("submit", function (ev) {
            ev.preventDefault();
            var f = $("#auth");
            token = f.elements.token.value.trim();
            try { window.sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* kept in memory only */ }
            f.elements.token.value = "";
            f.hidden = true;
            showError("");
            apply(false);
        });
        var f = $("#view");
        f.addEventListener("submit", function (ev) {
            ev.preventDefault();
            ["from", "to", "step", "tz", "topic", "region"].forEach(function (k) {
                view[k] = f.elements[k].value.trim() || DEFAULTS[k];
            });
            apply(true);
        });
        ["step", "topic", "region"].forEach(function (k) {
            f.elements[k].addEventListener("change", function () { f.requestSubmit(); });
        });
        document.querySelectorAll(".presets button").forEach(function (b) {
            b.addEventListener("click", function () {
                f.elements.from.value = b.dataset.from;
                f.elements.to.value = "now";
                f.requestSubmit();
            });
        });
        document.querySelectorAll("#names button").forEach(function (b) {
            b.addEventListener("click", function () {
                view.names = b.dataset.names;
                try { window.localStorage.setItem(NAMES_KEY, view.names); } catch (e) { /* private mode */ }
                generation++;
                writeURL(false);
                fillForm();
                if ($("#live").dataset.mode) setLive($("#live").dataset.mode);
                refresh();
                loadPosts();
            });
        });
        /* One listener on the table, not one a row: rows are redrawn on
         * every refresh, and a click must not be lost to a redraw. */
        $("#regions tbody").addEventListener("click", function (ev) {
            var tr = ev.target.closest("tr[data-region]");
            if (tr) openPosts("region:" + tr.dataset.region, "", "");
        });
        $("#regions tbody").addEventListener("keydown", function (ev) {
            var tr = ev.target.closest("tr[data-region]");
            if (tr && (ev.key === "Enter" || ev.key === " ")) {
                ev.preventDefault();
                openPosts("region:" + tr.dataset.region, "", "");
            }
        });
        window.addEventListener("popstate", function () { readURL(); apply(false); });
        var resizeTimer = null;
        window.addEventListener("resize", function () {
            clearTimeout(resizeTimer);
            resizeTimer = setTimeout(resizeCharts, 150);
        });
        apply(false);
    }

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
})();
