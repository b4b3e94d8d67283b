/**
 * The dashboard page's script, plain ES2020 for the browser. It polls the summary beside the page,
 * keeps the history itself and builds every node with textContent, never markup, so a label from the
 * app (a route, a queue or cache name) can only ever render as text. The page's CSP also refuses any
 * script but this one and any HTML sink (Trusted Types), so a slip here would fail loudly.
 *
 * Each figure carries its raw value in `data-value`, so tests and scripts read exact numbers instead
 * of formatted text.
 */
export const DASHBOARD_SCRIPT = `
'use strict';
(function () {
  var INTERVALS = [500, 1000, 2000, 5000, 10000, 30000];
  var DEFAULT_INTERVAL = 2000;
  var HISTORY = 900;
  var MAX_SERIES = 6;
  var SVG = 'http://www.w3.org/2000/svg';
  var source = location.pathname.replace(/\\/dashboard\\/?$/, '') || '/';

  var nf = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
  var nf1 = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
  function num(v) { return v == null ? '\\u2013' : nf.format(v); }
  function perSecond(v) { return v == null ? '\\u2013' : nf.format(v) + '/s'; }
  function pct(v) { return v == null ? '\\u2013' : nf1.format(v * 100) + ' %'; }
  function dur(s) {
    if (s == null) return '\\u2013';
    return s >= 1 ? nf.format(s) + ' s' : nf.format(s * 1000) + ' ms';
  }
  function bytes(b) {
    if (b == null) return '\\u2013';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return nf1.format(b) + ' ' + units[i];
  }
  function clock(date) { return date.toLocaleTimeString('en-GB', { hour12: false }); }
  function span(seconds) {
    var s = Math.floor(seconds);
    var parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'],
      [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
    while (parts.length > 1 && parts[0][0] === 0) parts.shift();
    return parts.slice(0, 2).map(function (p) { return p[0] + p[1]; }).join(' ');
  }
  function pick(data, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? null : o[k]; }, data);
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }
  function setValue(node, value, format) {
    node.dataset.value = value == null ? '' : String(value);
    node.textContent = format(value);
  }
  function entries(record) { return Object.keys(record || {}).sort().map(function (k) { return [k, record[k]]; }); }
  function status5xx(d) { return d.http.by_status_class['5xx'] || 0; }

  var TILES = [
    ['rate', 'Requests/s', perSecond],
    ['http.requests_total', 'Requests', num],
    ['http.error_rate', 'Error ratio (5xx)', pct],
    ['http.latency_seconds.p50', 'p50 latency', dur],
    ['http.latency_seconds.p90', 'p90 latency', dur],
    ['http.latency_seconds.p99', 'p99 latency', dur],
    ['http.in_progress', 'In progress', num],
    ['active_connections', 'Connections', num],
    ['database.operations_total', 'DB operations', num],
    ['database.errors_total', 'DB errors', num],
    ['cache.hit_rate', 'Cache hit ratio', pct],
    ['process.resident_memory_bytes', 'Memory (RSS)', bytes],
    ['process.heap_used_bytes', 'Heap used', bytes],
    ['process.event_loop_lag_seconds', 'Event-loop lag', dur]
  ];

  function named(record, field) {
    return entries(record).map(function (e) { return [e[0], field ? e[1][field] : e[1]]; });
  }
  var CHARTS = {
    requests: { format: perSecond, series: function (d, x) { return [['requests', x.rate], ['5xx', x.errors]]; } },
    errors: { format: pct, ratio: true, series: function (d, x) { return [['5xx share', x.errorShare]]; } },
    latency: { format: dur, series: function (d) {
      var l = d.http.latency_seconds;
      return [['p50', l.p50], ['p90', l.p90], ['p99', l.p99]];
    } },
    concurrency: { format: num, series: function (d) {
      return [['in progress', d.http.in_progress], ['connections', d.active_connections]];
    } },
    database: { format: perSecond, series: function (d, x) { return [['operations', x.db], ['errors', x.dbErrors]]; } },
    cache: { format: pct, ratio: true, series: function (d) { return named(d.cache.by_cache, 'hit_rate'); } },
    activity: { format: perSecond, series: function (d, x) {
      return [['tasks', x.tasks], ['external calls', x.external], ['auth events', x.auth]];
    } },
    queues: { format: num, series: function (d) { return named(d.queues); } },
    memory: { format: bytes, series: function (d) {
      return [['RSS', d.process.resident_memory_bytes], ['heap used', d.process.heap_used_bytes]];
    } },
    lag: { format: dur, series: function (d) { return [['lag', d.process.event_loop_lag_seconds]]; } }
  };

  function cell(value, format, bad) { return { value: value, format: format, bad: bad }; }
  function grouped(record, columns) {
    return entries(record).map(function (e) {
      return [e[0]].concat(columns.map(function (c, i) {
        var v = e[1][c] || 0;
        return cell(v, num, i > 0 && c !== 'succeeded' && c !== 'success' && v > 0);
      }));
    });
  }
  var TABLES = {
    busiest: { head: ['Method', 'Endpoint', 'Requests'], rows: function (d) {
      return d.http.busiest_endpoints.map(function (e) { return [e.method, e.endpoint, cell(e.requests, num)]; });
    } },
    slowest: { head: ['Method', 'Endpoint', 'Mean', 'Requests'], rows: function (d) {
      return (d.http.slowest_endpoints || []).map(function (e) {
        return [e.method, e.endpoint, cell(e.avg_duration_seconds, dur), cell(e.requests, num)];
      });
    } },
    database: { head: ['Table', 'Operation', 'Count', 'Errors', 'Mean'], rows: function (d) {
      return d.database.by_operation.slice().sort(function (a, b) {
        return a.table.localeCompare(b.table) || a.operation.localeCompare(b.operation);
      }).map(function (o) {
        return [o.table, o.operation, cell(o.count, num), cell(o.errors, num, o.errors > 0),
          cell(o.avg_duration_seconds, dur)];
      });
    } },
    caches: { head: ['Cache', 'Hits', 'Misses', 'Hit ratio'], rows: function (d) {
      return entries(d.cache.by_cache).map(function (e) {
        return [e[0], cell(e[1].hits, num), cell(e[1].misses, num), cell(e[1].hit_rate, pct)];
      });
    } },
    queues: { head: ['Queue', 'Size'], rows: function (d) {
      return entries(d.queues).map(function (e) { return [e[0], cell(e[1], num)]; });
    } },
    tasks: { head: ['Task', 'Started', 'Succeeded', 'Failed'], rows: function (d) {
      return grouped(d.background_tasks, ['started', 'succeeded', 'failed']);
    } },
    external: { head: ['Service', 'Success', 'Error'], rows: function (d) {
      return grouped(d.external_calls, ['success', 'error']);
    } },
    auth: { head: ['Event', 'Success', 'Failure'], rows: function (d) {
      return grouped(d.auth_events, ['success', 'failure']);
    } }
  };
  TABLES.busiest.labels = TABLES.slowest.labels = TABLES.database.labels = 2;
  TABLES.caches.bar = 3;

  var CARDS = [
    ['Request rate', 'requests'], ['Error ratio per interval', 'errors'],
    ['Latency since start', 'latency'], ['In-progress requests and connections', 'concurrency'],
    ['Busiest endpoints', null, 'busiest'], ['Slowest endpoints', null, 'slowest'],
    ['Database operations by table', 'database', 'database'], ['Cache hit ratio by cache', 'cache', 'caches'],
    ['Queue sizes', 'queues', 'queues'], ['Background tasks, external calls and auth events', 'activity', 'tasks'],
    ['External calls', null, 'external'], ['Auth events', null, 'auth'],
    ['Memory', 'memory'], ['Event-loop lag', 'lag']
  ];

  var tiles = {};
  TILES.forEach(function (t) {
    var tile = el('div', 'tile');
    tile.appendChild(el('span', null, t[1]));
    var value = el('b', null, '\\u2013');
    value.dataset.figure = t[0];
    tile.appendChild(value);
    document.getElementById('tiles').appendChild(tile);
    tiles[t[0]] = value;
  });

  var cards = document.getElementById('cards');
  CARDS.forEach(function (c) {
    var card = el('section', 'card');
    card.appendChild(el('h2', null, c[0]));
    if (c[1]) {
      var chart = CHARTS[c[1]];
      chart.legend = el('div', 'legend');
      chart.svg = svgEl('svg', { class: 'chart', role: 'img', 'aria-label': c[0] });
      chart.svg.dataset.chart = c[1];
      chart.colors = {};
      card.appendChild(chart.legend);
      card.appendChild(chart.svg);
    }
    if (c[2]) {
      var table = TABLES[c[2]];
      var wrap = el('div', 'table-wrap');
      table.node = el('table');
      table.node.dataset.table = c[2];
      var head = el('tr');
      table.head.forEach(function (h, i) { head.appendChild(el('th', i >= (table.labels || 1) ? 'num' : null, h)); });
      table.node.appendChild(el('thead')).appendChild(head);
      table.body = table.node.appendChild(el('tbody'));
      wrap.appendChild(table.node);
      card.appendChild(wrap);
    }
    cards.appendChild(card);
  });

  var history = [];
  var previous = null;

  function derive(d) {
    var x = {};
    var p = previous;
    var dt = p ? d.uptime_seconds - p.uptime_seconds : 0;
    // A restart resets every counter; no rate spans it.
    if (!p || dt <= 0 || d.http.requests_total < p.http.requests_total) return x;
    var requests = d.http.requests_total - p.http.requests_total;
    var errors = status5xx(d) - status5xx(p);
    function total(r) {
      return entries(r).reduce(function (sum, e) {
        return sum + Object.keys(e[1]).reduce(function (s, k) { return s + (k === 'started' ? 0 : e[1][k]); }, 0);
      }, 0);
    }
    x.rate = requests / dt;
    x.errors = errors / dt;
    x.errorShare = requests > 0 ? errors / requests : null;
    x.db = (d.database.operations_total - p.database.operations_total) / dt;
    x.dbErrors = (d.database.errors_total - p.database.errors_total) / dt;
    x.tasks = (total(d.background_tasks) - total(p.background_tasks)) / dt;
    x.external = (total(d.external_calls) - total(p.external_calls)) / dt;
    x.auth = (total(d.auth_events) - total(p.auth_events)) / dt;
    return x;
  }

  function update(d) {
    var now = new Date();
    var x = derive(d);
    previous = d;
    var point = { t: now.getTime(), v: {} };
    Object.keys(CHARTS).forEach(function (id) {
      var values = {};
      CHARTS[id].series(d, x).forEach(function (s) { values[s[0]] = s[1] == null ? null : s[1]; });
      point.v[id] = values;
    });
    history.push(point);
    if (history.length > HISTORY) history.shift();

    var name = d.app ? d.app.name : 'Metrics';
    document.getElementById('app-name').textContent = name;
    document.getElementById('app-version').textContent = d.app ? 'v' + d.app.version : '';
    document.title = name + ' \\u00b7 dashboard';
    setValue(document.getElementById('uptime'), d.uptime_seconds, span);
    var refreshed = document.getElementById('refreshed');
    refreshed.dataset.value = now.toISOString();
    refreshed.textContent = clock(now);

    TILES.forEach(function (t) {
      setValue(tiles[t[0]], t[0] === 'rate' ? x.rate : pick(d, t[0]), t[2]);
    });
    Object.keys(CHARTS).forEach(function (id) { draw(CHARTS[id]); });
    Object.keys(TABLES).forEach(function (id) { fill(TABLES[id], d); });
    document.body.dataset.samples = String(history.length);
  }

  function fill(table, d) {
    var rows = table.rows(d);
    table.body.replaceChildren();
    if (rows.length === 0) {
      var empty = el('td', 'empty', 'Nothing recorded yet');
      empty.colSpan = table.head.length;
      table.body.appendChild(el('tr')).appendChild(empty);
      return;
    }
    rows.forEach(function (row) {
      var tr = el('tr');
      tr.dataset.key = row.filter(function (c) { return typeof c === 'string'; }).join(' ');
      row.forEach(function (c, i) {
        if (typeof c === 'string') { tr.appendChild(el('td', 'label', c)); return; }
        var td = el('td', 'num' + (c.bad ? ' bad' : ''));
        td.dataset.column = table.head[i];
        setValue(td, c.value, c.format);
        if (i === table.bar && c.value != null) {
          var bar = el('span', 'bar');
          var fillBar = bar.appendChild(el('i'));
          fillBar.style.width = Math.round(c.value * 100) + '%';
          td.appendChild(bar);
        }
        tr.appendChild(td);
      });
      table.body.appendChild(tr);
    });
  }

  function nice(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function draw(chart) {
    var id = chart.svg.dataset.chart;
    var names = [];
    history.forEach(function (p) {
      Object.keys(p.v[id]).forEach(function (n) { if (names.indexOf(n) === -1) names.push(n); });
    });
    names = names.slice(0, MAX_SERIES);
    names.forEach(function (n) {
      if (!(n in chart.colors)) chart.colors[n] = Object.keys(chart.colors).length % MAX_SERIES + 1;
    });
    var last = history[history.length - 1].v[id];

    chart.legend.replaceChildren();
    names.forEach(function (n) {
      var item = el('span');
      item.appendChild(el('i', 'c' + chart.colors[n]));
      item.appendChild(document.createTextNode(n));
      var value = el('b');
      value.dataset.series = n;
      setValue(value, last[n] == null ? null : last[n], chart.format);
      item.appendChild(value);
      chart.legend.appendChild(item);
    });

    var svg = chart.svg;
    var w = Math.max(svg.clientWidth, 200);
    var h = 150;
    var left = 58, right = 8, top = 6, bottom = 18;
    svg.replaceChildren();
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.dataset.points = String(history.length);
    var max = 0;
    history.forEach(function (p) {
      names.forEach(function (n) { var v = p.v[id][n]; if (v != null && v > max) max = v; });
    });
    var unit = chart.format === bytes ? 1048576 : 1;
    max = chart.ratio ? Math.min(nice(max), 1) : nice(max / unit) * unit;
    for (var i = 0; i <= 2; i++) {
      var y = top + (h - top - bottom) * (1 - i / 2);
      svg.appendChild(svgEl('line', { class: 'gridline', x1: left, x2: w - right, y1: y, y2: y }));
      var label = svgEl('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' });
      label.textContent = chart.format((max * i) / 2);
      svg.appendChild(label);
    }
    var t0 = history[0].t;
    var t1 = history[history.length - 1].t;
    var width = Math.max(t1 - t0, 1);
    var startLabel = svgEl('text', { x: left, y: h - 4 });
    startLabel.textContent = history.length > 1 ? '\\u2212' + span((t1 - t0) / 1000) : '';
    var endLabel = svgEl('text', { x: w - right, y: h - 4, 'text-anchor': 'end' });
    endLabel.textContent = 'now';
    svg.appendChild(startLabel);
    svg.appendChild(endLabel);
    names.forEach(function (n) {
      var segment = [];
      function flush() {
        if (segment.length > 1) svg.appendChild(svgEl('polyline', { class: 'c' + chart.colors[n], points: segment.join(' ') }));
        segment = [];
      }
      history.forEach(function (p) {
        var v = p.v[id][n];
        if (v == null) { flush(); return; }
        var px = left + ((p.t - t0) / width) * (w - left - right);
        var py = top + (h - top - bottom) * (1 - Math.min(v / max, 1));
        segment.push(px.toFixed(1) + ',' + py.toFixed(1));
      });
      flush();
    });
  }

  var interval = DEFAULT_INTERVAL;
  var timer = null;
  var inFlight = false;
  var failingSince = null;
  var select = document.getElementById('interval');
  INTERVALS.forEach(function (ms) {
    var option = el('option', null, ms < 1000 ? ms + ' ms' : ms / 1000 + ' s');
    option.value = String(ms);
    option.selected = ms === interval;
    select.appendChild(option);
  });
  select.addEventListener('change', function () {
    interval = Number(select.value);
    if (!inFlight) schedule(0);
  });

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function setStatus(state, text) {
    var node = document.getElementById('status');
    node.dataset.state = state;
    node.textContent = text;
  }

  function answered() {
    failingSince = null;
    document.getElementById('banner').hidden = true;
    document.body.classList.remove('stale');
    setStatus('live', 'Live');
  }

  function failed(reason) {
    failingSince = failingSince || new Date();
    var banner = document.getElementById('banner');
    banner.textContent = 'The service is not answering (' + reason + ') since ' + clock(failingSince) +
      '. Retrying every ' + select.selectedOptions[0].textContent + '; the page recovers on its own.';
    banner.hidden = false;
    document.body.classList.add('stale');
    setStatus('down', 'Not answering');
  }

  function poll() {
    inFlight = true;
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, Math.max(interval, 5000));
    fetch(source, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' }, signal: controller.signal })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (data) { answered(); update(data); }, function (error) {
        failed(error.name === 'AbortError' ? 'no answer in time' : error.message === 'Failed to fetch' ? 'no connection' : error.message);
      })
      .finally(function () {
        clearTimeout(timeout);
        inFlight = false;
        schedule(interval);
      });
  }

  addEventListener('resize', function () {
    if (history.length > 0) Object.keys(CHARTS).forEach(function (id) { draw(CHARTS[id]); });
  });
  poll();
})();
`;
