/* hullbreach plugins for NASA Open MCT 4.2.0: dictionary of raw and derived channels, historical request and
   realtime subscribe providers over one WebSocket, limits, staleness, a clock that follows the data time
   (replays of 2018 telemetry), and a station view (modules, hatches, isolation posterior, next step). */
"use strict";
function HullbreachPlugin(options) {
  const NS = "hullbreach";
  const STALE_MS = (options && options.staleMs) || 30000;
  return function install(openmct) {
    const subs = new Map();        // channel -> Set(callback)
    const staleSubs = new Set();   // callbacks(isStale)
    const stateSubs = new Set();   // callbacks(summary)
    let dict = null, ws = null, lastMsg = 0, lastState = null, wasStale = null, newestData = 0;

    const dictPromise = fetch("/api/dictionary").then(r => r.json()).then(d => { dict = d; return d; });

    // ---- a clock that follows the newest sample time (live feeds: wall time; replays: the data's time)
    const tickers = new Set();
    const dataClock = {
      key: "hullbreach-data", name: "Data time", cssClass: "icon-clock",
      description: "Follows the newest telemetry sample received (replays run in their own time)",
      currentValue: () => newestData || Date.now(),
      on: (ev, cb) => { if (ev === "tick") tickers.add(cb); },
      off: (ev, cb) => { if (ev === "tick") tickers.delete(cb); }
    };
    openmct.time.addClock(dataClock);
    setInterval(() => { const v = dataClock.currentValue(); tickers.forEach(cb => cb(v)); }, 1000);

    // ---- one WebSocket for every subscription
    function connect() {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/realtime");
      ws.onmessage = ev => {
        const m = JSON.parse(ev.data);
        lastMsg = Date.now();
        if (m.state) { lastState = m.state; stateSubs.forEach(cb => cb(m.state)); }
        for (const ch in (m.samples || {})) {
          const list = m.samples[ch];
          const last = list[list.length - 1];
          if (last && last[0] > newestData && m.type === "samples") newestData = last[0];
          const cbs = subs.get(ch);
          if (cbs) for (const p of list) cbs.forEach(cb => cb({ timestamp: p[0], value: p[1], id: ch }));
        }
      };
      ws.onclose = () => setTimeout(connect, 2000);
    }
    connect();
    function staleNow() { return (Date.now() - lastMsg > STALE_MS) || !!(lastState && lastState.feed && lastState.feed.stale); }
    setInterval(() => { const s = staleNow(); if (s !== wasStale) { wasStale = s; staleSubs.forEach(cb => cb({ isStale: s, utc: Date.now() })); } }, 1000);

    // ---- objects: root folder, raw and derived folders, one telemetry object per channel, the station view
    openmct.types.addType("hullbreach.telemetry", { name: "hullbreach channel", cssClass: "icon-telemetry",
      description: "A raw sensor or a derived channel of the hullbreach monitor" });
    openmct.types.addType("hullbreach.station", { name: "hullbreach station view", cssClass: "icon-layout",
      description: "Modules, hatches, detector state, isolation posterior and the next step" });
    openmct.objects.addRoot({ namespace: NS, key: "root" });
    function tele(c) {
      return { identifier: { namespace: NS, key: c.key }, name: c.name + (c.unit ? " [" + c.unit + "]" : ""),
        type: "hullbreach.telemetry", location: NS + ":" + c.kind, telemetry: { values: [
          { key: "value", name: c.name, unit: c.unit, format: "float", hints: { range: 1 } },
          { key: "utc", source: "timestamp", name: "Time", format: "utc", hints: { domain: 1 } } ] } };
    }
    openmct.objects.addProvider(NS, { get: id => dictPromise.then(d => {
      if (id.key === "root") return { identifier: id, name: "hullbreach " + d.station, type: "folder", location: "ROOT" };
      if (id.key === "raw" || id.key === "derived")
        return { identifier: id, name: id.key === "raw" ? "Raw sensors" : "Derived channels", type: "folder", location: NS + ":root" };
      if (id.key === "station") return { identifier: id, name: "Station view", type: "hullbreach.station", location: NS + ":root" };
      const c = d.channels.find(x => x.key === id.key);
      return c ? tele(c) : undefined;
    }) });
    openmct.composition.addProvider({
      appliesTo: o => o.identifier.namespace === NS && o.type === "folder",
      load: o => dictPromise.then(d => {
        if (o.identifier.key === "root") return ["station", "derived", "raw"].map(k => ({ namespace: NS, key: k }));
        return d.channels.filter(c => c.kind === o.identifier.key).map(c => ({ namespace: NS, key: c.key }));
      })
    });

    // ---- limits (watch / warning / critical): pressure in mmHg, reserve time in s
    function limitsFor(key) {
      if (!dict) return null;
      if (/pressure(_mmhg)?$/.test(key) || (dict.channels.find(c => c.key === key) || {}).quantity === "pressure")
        return { kind: "low", l: dict.limits.pressure_mmhg };
      if (/^reserve_time_s(_low|_high)?$/.test(key)) return { kind: "low", l: dict.limits.reserve_time_s };
      return null;
    }
    const RED = { critical: "is-limit--lwr is-limit--red", warning: "is-limit--lwr is-limit--yellow", watch: "is-limit--lwr is-limit--cyan" };

    openmct.telemetry.addProvider({
      supportsRequest: o => o.type === "hullbreach.telemetry",
      request: (o, opts) => {
        const q = "/api/history?channel=" + encodeURIComponent(o.identifier.key) +
          (opts && opts.start ? "&start=" + opts.start / 1000 : "") + (opts && opts.end ? "&end=" + opts.end / 1000 : "");
        return fetch(q).then(r => r.json()).then(j => (j.samples || []).filter(s => s.value !== null));
      },
      supportsSubscribe: o => o.type === "hullbreach.telemetry",
      subscribe: (o, cb) => {
        const k = o.identifier.key;
        if (!subs.has(k)) subs.set(k, new Set());
        subs.get(k).add(cb);
        return () => subs.get(k).delete(cb);
      },
      supportsLimits: o => o.type === "hullbreach.telemetry" && !!limitsFor(o.identifier.key),
      getLimitEvaluator: o => ({
        evaluate: (datum) => {
          const lim = limitsFor(o.identifier.key);
          if (!lim || datum.value === null || datum.value === undefined) return undefined;
          for (const lvl of ["critical", "warning", "watch"]) {
            if (datum.value <= lim.l[lvl]) return { cssClass: RED[lvl], name: lvl.toUpperCase(), low: lim.l[lvl] };
          }
          return undefined;
        }
      }),
      getLimits: o => ({ limits: () => {
        const lim = limitsFor(o.identifier.key);
        if (!lim) return Promise.resolve({});
        const out = {};
        for (const lvl of ["critical", "warning", "watch"]) {
          out[lvl.toUpperCase()] = { low: { color: lvl === "critical" ? "red" : lvl === "warning" ? "yellow" : "cyan", value: lim.l[lvl] } };
        }
        return Promise.resolve(out);
      } }),
      supportsStaleness: o => o.type === "hullbreach.telemetry",
      subscribeToStaleness: (o, cb) => { staleSubs.add(cb); return () => staleSubs.delete(cb); },
      isStale: () => Promise.resolve({ isStale: staleNow(), utc: Date.now() })
    });

    // ---- station view
    openmct.objectViews.addProvider({
      key: "hullbreach.station-view", name: "Station", cssClass: "icon-layout",
      canView: o => o.type === "hullbreach.station",
      view: () => {
        let el = null, station = null;
        const draw = s => {
          if (!el || !station) return;
          const zones = (s && s.zones) || [];
          const stateOf = m => { const z = zones.find(z => (z.zone || []).includes(m)); return z ? z.state : "unmonitored"; };
          const col = { alarm: "#ff4d4d", nominal: "#2fbf71", learning: "#4fc3f7", unmonitored: "#888" };
          const iso = s && s.isolation;
          const a = s && s.alarm;
          const stale = staleNow();
          const fmt = x => x === null || x === undefined ? "–" : (x / 86400 >= 2 ? (x / 86400).toFixed(1) + " days" : (x / 3600).toFixed(1) + " h");
          el.innerHTML = "";
          const h = document.createElement("div");
          h.style.cssText = "font-size:22px;font-weight:700;padding:6px;color:" + (s && s.status === "leak" ? "#ff4d4d" : "#2fbf71");
          h.setAttribute("data-testid", "station-status");
          h.textContent = (s && s.status === "leak" ? "LEAK ALARM" : "NOMINAL") + (stale ? " (STALE DATA)" : "") +
            (a ? " in zone of " + a.zone.length + " modules; reserve " + fmt(a.reserve_time_s.estimate) +
              " [" + fmt(a.reserve_time_s.low) + " – " + fmt(a.reserve_time_s.high) + "]" : "");
          el.appendChild(h);
          const step = document.createElement("div");
          step.setAttribute("data-testid", "station-step");
          step.style.cssText = "font-size:20px;padding:6px";
          step.textContent = iso ? (iso.next_step ? "Next step " + iso.next_step.index + ": " + iso.next_step.instructions.join("; ") : (iso.advice || iso.status)) : "No isolation session (no leak alarm)";
          el.appendChild(step);
          if (iso && iso.posterior) {
            const p = document.createElement("div");
            p.style.cssText = "padding:6px";
            p.innerHTML = "<b>Isolation posterior</b>";
            for (const q of iso.posterior) {
              const r = document.createElement("div");
              r.textContent = q.hypothesis + " " + (100 * q.probability).toFixed(1) + " %";
              r.style.cssText = "background:linear-gradient(90deg,#345 " + (100 * q.probability) + "%,transparent 0);margin:2px 0;padding:1px 4px";
              p.appendChild(r);
            }
            el.appendChild(p);
          }
          const grid = document.createElement("div");
          grid.style.cssText = "display:flex;flex-wrap:wrap;gap:4px;padding:6px";
          for (const m of station.modules) {
            const b = document.createElement("div");
            const st = stateOf(m.id);
            b.textContent = m.id + " · " + st;
            b.style.cssText = "border:2px solid " + (col[st] || "#888") + ";padding:4px 6px;border-radius:4px;font-size:13px";
            grid.appendChild(b);
          }
          el.appendChild(grid);
          // hatches as the crew set them (hatch events), and what the next step changes
          const closed = new Set(iso && iso.closed_hatches_now ? iso.closed_hatches_now : station.hatches.filter(x => x.closed).map(x => x.id));
          const next = iso && iso.next_step ? new Set(iso.next_step.closed_hatches) : null;
          const hl = document.createElement("div");
          hl.setAttribute("data-testid", "station-hatches");
          hl.style.cssText = "padding:6px;font-size:13px";
          hl.textContent = "Hatches now" + (iso && iso.steps_done ? " (" + iso.steps_done + " step(s) done)" : "") + ": " +
            station.hatches.map(x => x.id + (closed.has(x.id) ? " CLOSED" : " open") +
              (next && next.has(x.id) !== closed.has(x.id) ? (next.has(x.id) ? " → close" : " → open") : "")).join(", ");
          el.appendChild(hl);
        };
        return {
          show: element => {
            el = element;
            fetch("/api/station").then(r => r.json()).then(st => { station = st; draw(lastState); });
            stateSubs.add(draw);
          },
          destroy: () => { stateSubs.delete(draw); el = null; }
        };
      }
    });

    // ---- time: UTC, following the data clock
    // (UTCTimeSystem must be installed before this plugin)
    openmct.time.setTimeSystem("utc", { start: Date.now() - 3 * 3600 * 1000, end: Date.now() });
    openmct.time.setClock("hullbreach-data");
    openmct.time.setClockOffsets({ start: -3 * 3600 * 1000, end: 5 * 60 * 1000 });
    openmct.time.setMode && openmct.time.setMode("realtime", { start: -3 * 3600 * 1000, end: 5 * 60 * 1000 });
  };
}
